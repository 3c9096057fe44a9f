package dev.popw.transport.tls;

import dev.popw.transport.TransportException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS contexts from PEM files, the format brokers and openssl use: a CA bundle to authenticate the
 * server and, for mutual TLS, a client certificate chain with its unencrypted PKCS#8 key. Uses the
 * JDK's providers only.
 */
public final class PemTls {
  private static final Pattern KEY = Pattern.compile("-----BEGIN PRIVATE KEY-----(.*?)-----END PRIVATE KEY-----", Pattern.DOTALL);

  private PemTls() {}

  /**
   * Builds a TLS 1.2/1.3 context.
   *
   * @param caCertificates PEM file of the CAs that may sign the server certificate; {@code null}
   *     for the JDK's default trust store
   * @param clientCertificate PEM certificate chain for mutual TLS, or {@code null}
   * @param clientKey PKCS#8 PEM key of {@code clientCertificate}, or {@code null}
   * @throws TransportException with a message naming the file that is wrong
   */
  public static SSLContext context(Path caCertificates, Path clientCertificate, Path clientKey) {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (caCertificates != null) {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int i = 0;
        for (Certificate c : certificates(caCertificates)) {
          trust.setCertificateEntry("ca" + i++, c);
        }
        tmf.init(trust);
      } else {
        tmf.init((KeyStore) null);
      }
      KeyManagerFactory kmf = null;
      if (clientCertificate != null || clientKey != null) {
        if (clientCertificate == null || clientKey == null) {
          throw new TransportException("mutual TLS needs both a client certificate and its key");
        }
        char[] pw = new char[0];
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        Collection<? extends Certificate> chain = certificates(clientCertificate);
        ks.setKeyEntry("client", privateKey(clientKey), pw, chain.toArray(new Certificate[0]));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new TransportException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  private static Collection<? extends Certificate> certificates(Path pem) throws IOException {
    try {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)));
      if (certs.isEmpty()) {
        throw new TransportException("no certificate found in " + pem);
      }
      return certs;
    } catch (java.nio.file.NoSuchFileException e) {
      throw new TransportException("certificate file " + pem + " does not exist");
    } catch (GeneralSecurityException e) {
      throw new TransportException("cannot read certificates from " + pem + ": " + e.getMessage(), e);
    }
  }

  private static PrivateKey privateKey(Path pem) throws IOException {
    String text;
    try {
      text = Files.readString(pem, StandardCharsets.US_ASCII);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new TransportException("key file " + pem + " does not exist");
    }
    Matcher m = KEY.matcher(text);
    if (!m.find()) {
      throw new TransportException("key file " + pem + " is not an unencrypted PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----)");
    }
    byte[] der = Base64.getMimeDecoder().decode(m.group(1));
    for (String alg : new String[] {"EC", "RSA", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new TransportException("key file " + pem + " holds a key type TLS cannot use here (EC, RSA or Ed25519 expected)");
  }
}
