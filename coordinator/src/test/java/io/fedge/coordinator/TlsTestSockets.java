package io.fedge.coordinator;

import io.fedge.comm.WireProtocol;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Hello;
import io.fedge.comm.tls.Credentials;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** Hand-driven TLS clients for tests: the JDK's {@link SSLSocket}, speaking fedge frames by hand. */
final class TlsTestSockets {
    private TlsTestSockets() {
    }

    /**
     * A TLS 1.3 context presenting {@code client} (none if null) whatever authorities the server
     * names, and trusting {@code ca}.
     */
    static SSLContext context(Credentials client, X509Certificate ca) throws Exception {
        KeyManager[] keys = client == null ? null : new KeyManager[] {new AlwaysPresent(client)};
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        tls.init(keys, tmf.getTrustManagers(), null);
        return tls;
    }

    /** Presents its one certificate even to a server that asks for another authority's (as an impostor would). */
    private static final class AlwaysPresent extends X509ExtendedKeyManager {
        private final Credentials credentials;

        AlwaysPresent(Credentials credentials) {
            this.credentials = credentials;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return "client";
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return "client";
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return new X509Certificate[] {credentials.certificate()};
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return credentials.key();
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {"client"};
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }

    static SSLSocket connect(SSLContext tls, InetSocketAddress at) throws IOException {
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(at.getAddress(), at.getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    static void send(Socket s, Envelope e) throws IOException {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        byte[] body = e.toByteArray();
        out.writeInt(body.length);
        out.write(body);
        out.flush();
    }

    static Envelope read(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] reply = new byte[in.readInt()];
        in.readFully(reply);
        return Envelope.parseFrom(reply);
    }

    static Envelope helloFrom(String claimedId) {
        return Envelope.newBuilder().setHello(Hello.newBuilder()
                .setProtocolVersion(WireProtocol.VERSION).setClientId(claimedId).addCodecs("fp32")
                .setNumExamples(10)).build();
    }

    /** Sends a Hello and returns the answer. */
    static Envelope hello(Socket s, String claimedId) throws IOException {
        send(s, helloFrom(claimedId));
        return read(s);
    }
}
