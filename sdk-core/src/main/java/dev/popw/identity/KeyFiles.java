package dev.popw.identity;

import dev.popw.internal.crypto.EcdsaScheme;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;

/**
 * Device key files: unencrypted PKCS#8 in PEM ({@code -----BEGIN PRIVATE KEY-----}), the format of
 * {@code openssl genpkey}, readable by the owner only (mode 0600).
 */
public final class KeyFiles {
  private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
  private static final String END = "-----END PRIVATE KEY-----";
  /** id-Ed25519, RFC 8410. */
  private static final ASN1ObjectIdentifier ID_ED25519 = new ASN1ObjectIdentifier("1.3.101.112");
  private static final KeyType[] ECDSA_TYPES = {KeyType.ECDSA_P256, KeyType.ECDSA_SECP256K1};
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private KeyFiles() {}

  /**
   * Generates a key and writes it to a new file with mode 0600. Never overwrites a file.
   *
   * @throws KeyFileException if the file exists or cannot be written
   */
  public static SoftwareSigner generate(KeyType type, Path file) {
    SoftwareSigner signer = SoftwareSigner.generate(type, new SecureRandom());
    write(signer, file);
    return signer;
  }

  /**
   * Writes a signer's key to a new file with mode 0600 (owner read/write). Never overwrites a file.
   *
   * @throws KeyFileException if the file exists or cannot be written
   */
  public static void write(SoftwareSigner signer, Path file) {
    byte[] der = encodePkcs8(signer);
    String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    byte[] pem = (BEGIN + "\n" + b64 + "\n" + END + "\n").getBytes(StandardCharsets.US_ASCII);
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), ownerOnly())) {
        ch.write(ByteBuffer.wrap(pem));
        ch.force(true);
      }
    } catch (FileAlreadyExistsException e) {
      throw new KeyFileException(file, "key file " + file + " already exists; refusing to overwrite it");
    } catch (IOException e) {
      throw new KeyFileException(file, "cannot write key file " + file + ": " + e, e);
    }
  }

  /**
   * Loads a key file.
   *
   * @throws KeyFileException if the file is missing, can be read or written by group or others,
   *     or is not an unencrypted PKCS#8 Ed25519, P-256 or secp256k1 key
   */
  public static SoftwareSigner load(Path file) {
    checkPermissions(file);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new KeyFileException(file, "key file " + file + " does not exist (create one with 'popw-agent keygen')");
    } catch (AccessDeniedException e) {
      throw new KeyFileException(file, "key file " + file + " is not readable by this user");
    } catch (IOException e) {
      throw new KeyFileException(file, "cannot read key file " + file + ": " + e, e);
    }
    return decodePem(file, text);
  }

  /**
   * Refuses a key file that group or others may access in any way.
   *
   * @throws KeyFileException naming the mode and the fix
   */
  public static void checkPermissions(Path file) {
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return; // not a POSIX file system (Windows): nothing to check this way
    } catch (NoSuchFileException e) {
      throw new KeyFileException(file, "key file " + file + " does not exist (create one with 'popw-agent keygen')");
    } catch (IOException e) {
      throw new KeyFileException(file, "cannot read the permissions of key file " + file + ": " + e, e);
    }
    if (!java.util.Collections.disjoint(perms, GROUP_OR_OTHERS)) {
      throw new KeyFileException(
          file,
          String.format(
              "key file %s has mode %s, so group or others can access it; refusing to use it. Fix with: chmod 600 %s",
              file, PosixFilePermissions.toString(perms), file));
    }
  }

  static SoftwareSigner decodePem(Path file, String text) {
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    if (begin < 0 || end < begin) {
      String hint =
          text.contains("ENCRYPTED PRIVATE KEY")
              ? "it is encrypted; decrypt it with: openssl pkcs8 -in OLD -out NEW -nocrypt"
              : text.contains("EC PRIVATE KEY")
                  ? "it is a SEC1 EC key; convert it with: openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW"
                  : "expected a PEM block '" + BEGIN + "'";
      throw new KeyFileException(file, "key file " + file + " is not an unencrypted PKCS#8 key: " + hint);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(text.substring(begin + BEGIN.length(), end));
    } catch (IllegalArgumentException e) {
      throw new KeyFileException(file, "key file " + file + " has a corrupt PEM body: " + e.getMessage());
    }
    AsymmetricKeyParameter key;
    try {
      key = PrivateKeyFactory.createKey(der);
    } catch (IOException | RuntimeException e) {
      throw new KeyFileException(file, "key file " + file + " is not a readable PKCS#8 key: " + e.getMessage(), e);
    }
    if (key instanceof Ed25519PrivateKeyParameters) {
      return SoftwareSigner.fromPrivateKey(KeyType.ED25519, ((Ed25519PrivateKeyParameters) key).getEncoded());
    }
    if (key instanceof ECPrivateKeyParameters) {
      ECPrivateKeyParameters ec = (ECPrivateKeyParameters) key;
      KeyType type = curveOf(ec);
      if (type == null) {
        throw new KeyFileException(file, "key file " + file + " uses an unsupported elliptic curve; use ed25519, P-256 or secp256k1");
      }
      return SoftwareSigner.fromPrivateKey(type, fixed32(ec.getD()));
    }
    throw new KeyFileException(file, "key file " + file + " holds an unsupported key type ("
        + key.getClass().getSimpleName() + "); use ed25519, P-256 or secp256k1");
  }

  private static KeyType curveOf(ECPrivateKeyParameters ec) {
    if (ec.getParameters() instanceof ECNamedDomainParameters) {
      ASN1ObjectIdentifier oid = ((ECNamedDomainParameters) ec.getParameters()).getName();
      for (KeyType t : ECDSA_TYPES) {
        if (SoftwareSigner.ecdsa(t).domain().getName().equals(oid)) {
          return t;
        }
      }
      return null;
    }
    // Explicit curve parameters: match them against the curves we know.
    for (KeyType t : ECDSA_TYPES) {
      EcdsaScheme s = SoftwareSigner.ecdsa(t);
      if (s.domain().getCurve().equals(ec.getParameters().getCurve())
          && s.domain().getG().equals(ec.getParameters().getG())) {
        return t;
      }
    }
    return null;
  }

  private static byte[] encodePkcs8(SoftwareSigner signer) {
    byte[] sk = signer.privateKeyForExport();
    try {
      if (signer.keyType() == KeyType.ED25519) {
        // PKCS#8 v1 (RFC 8410) without the optional public key: Bouncy Castle would write v2
        // (RFC 5958), which OpenSSL 3.0 cannot read.
        return new PrivateKeyInfo(new AlgorithmIdentifier(ID_ED25519), new DEROctetString(sk))
            .getEncoded("DER");
      }
      ECPrivateKeyParameters param =
          new ECPrivateKeyParameters(new BigInteger(1, sk), SoftwareSigner.ecdsa(signer.keyType()).domain());
      return PrivateKeyInfoFactory.createPrivateKeyInfo(param).getEncoded("DER");
    } catch (IOException e) {
      throw new SignerException("cannot encode private key: " + e, e);
    }
  }

  private static byte[] fixed32(BigInteger v) {
    byte[] b = v.toByteArray();
    byte[] out = new byte[32];
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, 32 - len, len);
    return out;
  }

  private static FileAttribute<?>[] ownerOnly() {
    try {
      if (java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))};
      }
    } catch (RuntimeException e) {
      // fall through: no POSIX permissions on this platform
    }
    return new FileAttribute<?>[0];
  }
}
