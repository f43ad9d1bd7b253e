package io.fedge.comm.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What makes a certificate of the federation's authority an administrator's: an extended key
 * usage of its own, {@link #KEY_PURPOSE_OID}, which {@link CertificateAuthority#issueAdmin} adds
 * next to {@code clientAuth}. Client and coordinator certificates never carry it, so a device's
 * certificate cannot reach the admin API however it is presented; a certificate of another
 * authority fails the TLS handshake before this is asked.
 */
public final class AdminRole {
    /**
     * fedge's administrator key purpose: an OID under {@code 2.25} (ITU-T X.667, a UUID as an
     * integer), which needs no registration and clashes with nothing.
     */
    public static final String KEY_PURPOSE_OID = "2.25.147702229877788621874833492036555643459";

    private AdminRole() {
    }

    /** Whether {@code certificate} names the administrator key purpose. */
    public static boolean isAdmin(X509Certificate certificate) {
        try {
            List<String> purposes = certificate.getExtendedKeyUsage();
            return purposes != null && purposes.contains(KEY_PURPOSE_OID);
        } catch (CertificateParsingException e) {
            return false;
        }
    }
}
