package io.fedge.comm.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * fedge's own extended key usages, which make a certificate of the federation's authority an
 * administrator's or a gateway's. Each is an OID under {@code 2.25} (ITU-T X.667, a UUID as an
 * integer), which needs no registration and clashes with nothing. Device and coordinator
 * certificates carry neither, so a device's certificate can neither reach the admin API nor
 * register as a gateway however it is presented; a certificate of another authority fails the TLS
 * handshake before either is asked.
 */
public final class KeyPurposes {
    /** An administrator's: {@code clientAuth} plus this ({@link CertificateAuthority#issueAdmin}). */
    public static final String ADMIN = "2.25.147702229877788621874833492036555643459";
    /**
     * A gateway's: {@code clientAuth} and {@code serverAuth} plus this
     * ({@link CertificateAuthority#issueGateway}); the coordinator takes aggregated updates only
     * from its holders.
     */
    public static final String GATEWAY = "2.25.121434749907378752595442702648261634530";

    private KeyPurposes() {
    }

    /** Whether {@code certificate} names key purpose {@code oid}. */
    public static boolean carries(X509Certificate certificate, String oid) {
        try {
            List<String> purposes = certificate.getExtendedKeyUsage();
            return purposes != null && purposes.contains(oid);
        } catch (CertificateParsingException e) {
            return false;
        }
    }
}
