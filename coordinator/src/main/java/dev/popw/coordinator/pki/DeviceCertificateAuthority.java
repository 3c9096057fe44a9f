package dev.popw.coordinator.pki;

import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyFileException;
import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The coordinator's device CA: a P-256 key and a self-signed certificate that issue X.509 client
 * certificates binding a registered device's own public key (taken from its did:key, so no CSR is
 * needed: the coordinator already knows the key, and the device proves it holds the private key in
 * the TLS handshake) to its device id as subject CN. A broker that trusts the CA and takes the CN
 * as the username (Mosquitto's {@code use_identity_as_username}) then knows each client as the
 * device it is, and its ACL can confine a device to its own topics (docs/mosquitto.md). The same CA
 * issues the coordinator's own MQTT client certificate and the broker's server certificate.
 *
 * <p>Ed25519 and P-256 device keys get certificates; secp256k1 keys cannot sign in TLS 1.3 (no
 * signature scheme), OpenSSL's TLS 1.2 server refuses the curve by default and Java 17's TLS has no
 * secp256k1 at all, so those devices are refused with {@link PkiException#unsupportedKey()}.
 *
 * <p>Thread-safe.
 */
public final class DeviceCertificateAuthority {
  /** Validity of a CA certificate created here: 20 years. */
  public static final Duration CA_VALIDITY = Duration.ofDays(7300);
  /** Certificates are valid from this long before they are issued: the broker's clock may be behind. */
  public static final Duration BACKDATE = Duration.ofHours(1);

  private static final Pattern CERT = Pattern.compile("-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", Pattern.DOTALL);
  private static final Pattern KEY = Pattern.compile("-----BEGIN PRIVATE KEY-----(.*?)-----END PRIVATE KEY-----", Pattern.DOTALL);

  private final PrivateKey key;
  private final X509Certificate certificate;
  private final Duration validity;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  private DeviceCertificateAuthority(PrivateKey key, X509Certificate certificate, Duration validity, Clock clock) {
    this.key = key;
    this.certificate = certificate;
    this.validity = validity;
    this.clock = clock;
  }

  /**
   * Loads the CA from its two files, or creates them: a new P-256 key (PKCS#8 PEM, mode 0600) when
   * neither exists, and a new self-signed certificate for the key when the certificate is missing
   * (certificates issued before still verify: same key, same name).
   *
   * @param networkId goes into the CA's name, so that operators tell their CAs apart
   * @param validity how long the certificates it issues are valid (never past the CA's own end)
   * @throws PkiException naming the file and what is wrong with it
   */
  public static DeviceCertificateAuthority loadOrCreate(Path keyFile, Path certFile, String networkId, Duration validity,
      Clock clock) {
    Objects.requireNonNull(validity, "validity");
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity must be positive");
    }
    SoftwareSigner signer;
    try {
      if (Files.exists(keyFile)) {
        signer = KeyFiles.load(keyFile);
      } else {
        if (Files.exists(certFile)) {
          throw new PkiException("the device CA certificate " + certFile + " exists but its key " + keyFile
              + " does not; restore the key, or remove the certificate to create a new CA (devices and the broker then need new"
              + " certificates)", false);
        }
        signer = KeyFiles.generate(KeyType.ECDSA_P256, keyFile);
      }
    } catch (KeyFileException e) {
      throw new PkiException("device CA key: " + e.getMessage(), false);
    }
    try (signer) {
      if (signer.keyType() != KeyType.ECDSA_P256) {
        throw new PkiException("the device CA key " + keyFile + " is a " + signer.keyType().label()
            + " key; the device CA signs with P-256 (remove it and its certificate to create a new CA)", false);
      }
      PrivateKey key = jcaKey(keyFile);
      byte[] publicKey = signer.publicKey();
      X509Certificate cert;
      if (Files.exists(certFile)) {
        cert = readCertificates(certFile).get(0);
        if (cert.getBasicConstraints() < 0) {
          throw new PkiException("the device CA certificate " + certFile + " is not a CA certificate", false);
        }
        if (!Arrays.equals(rawPublicKey(cert.getPublicKey()), publicKey)) {
          throw new PkiException("the device CA certificate " + certFile + " is not the certificate of the key " + keyFile, false);
        }
        if (cert.getNotAfter().toInstant().isBefore(clock.instant())) {
          throw new PkiException("the device CA certificate " + certFile + " expired on " + cert.getNotAfter().toInstant()
              + "; remove it to issue a new one for the same key", false);
        }
      } else {
        cert = selfSigned(key, publicKey, networkId, clock, new SecureRandom());
        writeAtomically(certFile, pem(cert));
      }
      return new DeviceCertificateAuthority(key, cert, validity, clock);
    } catch (IOException e) {
      throw new PkiException("cannot use the device CA files " + keyFile + ", " + certFile + ": " + e.getMessage(), e);
    }
  }

  /** The CA certificate, which brokers trust to authenticate clients. */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * A device's client certificate: subject CN and a URI subject alternative name are its device
   * id ({@code did:key:z…}), the public key is the device's own, extended key usage clientAuth.
   *
   * @throws PkiException with {@link PkiException#unsupportedKey()} for a secp256k1 device, or for
   *     a P-256 key that is not a point on the curve
   */
  public X509Certificate issueDevice(DeviceId device) {
    if (device.keyType() == KeyType.ECDSA_SECP256K1) {
      throw new PkiException("device " + device + " has a secp256k1 key, which cannot authenticate a TLS connection (TLS 1.3 has no"
          + " secp256k1 signature scheme, and neither Java's TLS nor OpenSSL's default server accepts it in TLS 1.2); such a device"
          + " uses the coordinator's embedded broker or CoAP, or registers an Ed25519 or P-256 key for an external broker", true);
    }
    return issue(device.toString(), device.keyType(), device.publicKey(), KeyPurposeId.id_kp_clientAuth,
        List.of(new GeneralName(GeneralName.uniformResourceIdentifier, device.toString())));
  }

  /** A client certificate for a named client (the coordinator's own MQTT client): CN = {@code name}, clientAuth. */
  public X509Certificate issueClient(String name, KeyType type, byte[] publicKey) {
    return issue(name, type, publicKey, KeyPurposeId.id_kp_clientAuth, List.of());
  }

  /**
   * A server certificate for the broker: CN = the first host, subject alternative names = every
   * host (an IP address literal as an IP address, anything else as a DNS name), serverAuth.
   */
  public X509Certificate issueServer(List<String> hosts, KeyType type, byte[] publicKey) {
    if (hosts.isEmpty()) {
      throw new IllegalArgumentException("a server certificate needs at least one host name");
    }
    List<GeneralName> names = new ArrayList<>();
    for (String h : hosts) {
      boolean ip = h.matches("[0-9.]+") || h.contains(":");
      names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, h));
    }
    return issue(hosts.get(0), type, publicKey, KeyPurposeId.id_kp_serverAuth, names);
  }

  private X509Certificate issue(String commonName, KeyType type, byte[] publicKey, KeyPurposeId purpose, List<GeneralName> altNames) {
    Instant now = clock.instant();
    Instant end = now.plus(validity);
    if (end.isAfter(certificate.getNotAfter().toInstant())) {
      end = certificate.getNotAfter().toInstant();
    }
    SubjectPublicKeyInfo spki = spki(type, publicKey);
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new X509v3CertificateBuilder(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
          serial(random), Date.from(now.minus(BACKDATE)), Date.from(end),
          new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build(), spki);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
      if (!altNames.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(altNames.toArray(new GeneralName[0])));
      }
      b.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(spki));
      b.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(certificate));
      return sign(b, key);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new PkiException("cannot issue a certificate for " + commonName + ": " + e.getMessage(), e);
    }
  }

  private static X509Certificate selfSigned(PrivateKey key, byte[] publicKey, String networkId, Clock clock, SecureRandom random)
      throws IOException {
    SubjectPublicKeyInfo spki = spki(KeyType.ECDSA_P256, publicKey);
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      byte[] keyId = utils.createSubjectKeyIdentifier(spki).getKeyIdentifier();
      X500Name name = new X500NameBuilder(BCStyle.INSTANCE)
          .addRDN(BCStyle.CN, "PoPW device CA " + HexFormat.of().formatHex(keyId, 0, 4))
          .addRDN(BCStyle.O, networkId).build();
      Instant now = clock.instant();
      X509v3CertificateBuilder b = new X509v3CertificateBuilder(name, serial(random), Date.from(now.minus(BACKDATE)),
          Date.from(now.plus(CA_VALIDITY)), name, spki);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(spki));
      return sign(b, key);
    } catch (GeneralSecurityException e) {
      throw new PkiException("cannot create the device CA certificate: " + e.getMessage(), e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e.getMessage(), e);
    }
  }

  /** A positive 127-bit random serial number (RFC 5280: at most 20 octets, unpredictable). */
  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(126, random).setBit(126);
  }

  /** The X.509 form of a device's canonical public key (Ed25519 32 bytes, P-256 33 bytes compressed). */
  static SubjectPublicKeyInfo spki(KeyType type, byte[] publicKey) {
    switch (type) {
      case ED25519:
        return new SubjectPublicKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), publicKey);
      case ECDSA_P256:
        X9ECParameters p = ECNamedCurveTable.getByName("secp256r1");
        try {
          return new SubjectPublicKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, SECObjectIdentifiers.secp256r1),
              p.getCurve().decodePoint(publicKey).getEncoded(false));
        } catch (IllegalArgumentException e) {
          throw new PkiException("the P-256 public key is not a point on the curve: " + e.getMessage(), true);
        }
      default:
        throw new PkiException(type.label() + " keys cannot authenticate a TLS connection", true);
    }
  }

  /** The canonical encoding of an Ed25519 or EC public key: Ed25519 32 bytes, EC compressed. */
  public static byte[] rawPublicKey(PublicKey key) {
    try {
      AsymmetricKeyParameter p = PublicKeyFactory.createKey(SubjectPublicKeyInfo.getInstance(key.getEncoded()));
      if (p instanceof Ed25519PublicKeyParameters) {
        return ((Ed25519PublicKeyParameters) p).getEncoded();
      }
      if (p instanceof ECPublicKeyParameters) {
        return ((ECPublicKeyParameters) p).getQ().getEncoded(true);
      }
      return key.getEncoded();
    } catch (IOException | RuntimeException e) {
      return key.getEncoded();
    }
  }

  /** PEM of certificates, in order. */
  public static String pem(X509Certificate... certs) {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : certs) {
      try {
        sb.append("-----BEGIN CERTIFICATE-----\n")
            .append(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(c.getEncoded()))
            .append("\n-----END CERTIFICATE-----\n");
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new PkiException("cannot encode a certificate: " + e.getMessage(), e);
      }
    }
    return sb.toString();
  }

  /** The certificates in a PEM file, in order. */
  public static List<X509Certificate> readCertificates(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new PkiException("certificate file " + file + " does not exist", false);
    }
    List<X509Certificate> out = new ArrayList<>();
    Matcher m = CERT.matcher(text);
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      while (m.find()) {
        out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(m.group().getBytes(StandardCharsets.US_ASCII))));
      }
    } catch (GeneralSecurityException e) {
      throw new PkiException("certificate file " + file + " holds an unreadable certificate: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new PkiException("certificate file " + file + " holds no PEM certificate", false);
    }
    return out;
  }

  private static PrivateKey jcaKey(Path file) throws IOException {
    Matcher m = KEY.matcher(Files.readString(file, StandardCharsets.US_ASCII));
    if (!m.find()) {
      throw new PkiException("the device CA key " + file + " is not an unencrypted PKCS#8 PEM key", false);
    }
    try {
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(1))));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new PkiException("the device CA key " + file + " is unreadable: " + e.getMessage(), e);
    }
  }

  /** Writes a file through a temporary file and a rename, so that a reader never sees half of it. */
  public static void writeAtomically(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
