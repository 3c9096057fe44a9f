package dev.popw.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway CA with a server certificate (127.0.0.1, localhost) and a client certificate, as PEM files. */
public final class TestCertificates {
  public final Path caCert;
  public final Path serverCert;
  public final Path serverKey;
  public final Path clientCert;
  public final Path clientKey;

  private TestCertificates(Path dir) {
    this.caCert = dir.resolve("ca.pem");
    this.serverCert = dir.resolve("server.pem");
    this.serverKey = dir.resolve("server.key");
    this.clientCert = dir.resolve("client.pem");
    this.clientKey = dir.resolve("client.key");
  }

  public static TestCertificates create(Path dir) throws Exception {
    Files.createDirectories(dir);
    TestCertificates c = new TestCertificates(dir);
    KeyPair ca = ecKeyPair();
    X500Name caName = new X500Name("CN=PoPW Test CA");
    X509CertificateHolder caHolder = sign(caName, caName, ca, ca, true, null);
    KeyPair server = ecKeyPair();
    X509CertificateHolder serverHolder = sign(caName, new X500Name("CN=localhost"), server, ca, false,
        new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
    KeyPair client = ecKeyPair();
    X509CertificateHolder clientHolder = sign(caName, new X500Name("CN=popw-test-device"), client, ca, false, null);
    write(c.caCert, "CERTIFICATE", caHolder.getEncoded());
    write(c.serverCert, "CERTIFICATE", serverHolder.getEncoded());
    write(c.serverKey, "PRIVATE KEY", server.getPrivate().getEncoded());
    write(c.clientCert, "CERTIFICATE", clientHolder.getEncoded());
    write(c.clientKey, "PRIVATE KEY", client.getPrivate().getEncoded());
    return c;
  }

  private static KeyPair ecKeyPair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509CertificateHolder sign(X500Name issuer, X500Name subject, KeyPair subjectKeys, KeyPair issuerKeys,
      boolean isCa, GeneralNames san) throws Exception {
    long now = System.currentTimeMillis();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(now),
        new Date(now - 3_600_000L), new Date(now + 30L * 86_400_000L), subject, subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (san != null) {
      b.addExtension(Extension.subjectAlternativeName, false, san);
    }
    return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate()));
  }

  private static void write(Path p, String type, byte[] der) throws IOException {
    StringWriter w = new StringWriter();
    w.write("-----BEGIN " + type + "-----\n");
    w.write(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der));
    w.write("\n-----END " + type + "-----\n");
    Files.writeString(p, w.toString());
  }
}
