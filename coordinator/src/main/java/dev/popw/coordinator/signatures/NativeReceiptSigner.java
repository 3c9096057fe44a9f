package dev.popw.coordinator.signatures;

import dev.popw.identity.DeviceId;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.KeyType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * The coordinator's Ed25519 key signing on AWS-LC: the same signatures as Bouncy Castle's, byte for
 * byte (Ed25519 is deterministic, RFC 8032), at about nine times the rate here, which matters
 * because every envelope's receipt is signed (docs/benchmarks.md, issue 18). Checked at start
 * against the Bouncy Castle signer on a test message; any failure later signs with Bouncy Castle.
 */
public final class NativeReceiptSigner implements DeviceSigner {
  private final DeviceSigner reference;
  private final PrivateKey key;
  private final Provider provider;
  private final ThreadLocal<Signature> signature;

  private NativeReceiptSigner(DeviceSigner reference, PrivateKey key, Provider provider) {
    this.reference = reference;
    this.key = key;
    this.provider = provider;
    this.signature = ThreadLocal.withInitial(this::newSignature);
  }

  private Signature newSignature() {
    try {
      return Signature.getInstance("Ed25519", provider);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The result of {@link #wrap}: the signer to use and, when it is the Bouncy Castle one, why. */
  public record Wrapped(DeviceSigner signer, String problem) {}

  /**
   * The native signer for the Ed25519 key in {@code keyFile} (PKCS#8 PEM, already loaded into
   * {@code reference}), or {@code reference} itself when the native path is not usable or does not
   * sign exactly as it does.
   */
  public static Wrapped wrap(DeviceSigner reference, Path keyFile, NativeSignatureEngine engine) {
    if (engine == null || reference.keyType() != KeyType.ED25519) {
      return new Wrapped(reference, engine == null ? "no native engine" : "not an Ed25519 key");
    }
    try {
      String text = Files.readString(keyFile, StandardCharsets.US_ASCII);
      int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
      int end = text.indexOf("-----END PRIVATE KEY-----");
      byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
      PrivateKey k = KeyFactory.getInstance("Ed25519", engine.provider()).generatePrivate(new PKCS8EncodedKeySpec(der));
      Arrays.fill(der, (byte) 0);
      NativeReceiptSigner n = new NativeReceiptSigner(reference, k, engine.provider());
      byte[] probe = "popw.v1.SelfTest\0receipt signer".getBytes(StandardCharsets.US_ASCII);
      if (!Arrays.equals(n.nativeSign(probe), reference.sign(probe))) {
        return new Wrapped(reference, "the native signature differs from Bouncy Castle's");
      }
      return new Wrapped(n, null);
    } catch (Exception | LinkageError e) {
      return new Wrapped(reference, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }
  }

  private byte[] nativeSign(byte[] message) throws java.security.GeneralSecurityException {
    Signature s = signature.get();
    s.initSign(key);
    s.update(message);
    return s.sign();
  }

  @Override
  public KeyType keyType() {
    return reference.keyType();
  }

  @Override
  public byte[] publicKey() {
    return reference.publicKey();
  }

  @Override
  public DeviceId deviceId() {
    return reference.deviceId();
  }

  @Override
  public byte[] sign(byte[] message) {
    try {
      byte[] sig = nativeSign(message);
      if (sig.length == 64) {
        return sig;
      }
    } catch (Exception | LinkageError e) {
      signature.remove();
    }
    return reference.sign(message);
  }

  @Override
  public void close() {
    reference.close();
  }

  @Override
  public String toString() {
    return "native " + reference;
  }
}
