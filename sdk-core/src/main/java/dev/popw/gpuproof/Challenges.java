package dev.popw.gpuproof;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.identity.DeviceId;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.KeyType;
import dev.popw.internal.crypto.Ed25519Scheme;
import dev.popw.internal.crypto.SignatureCheck;
import dev.popw.internal.crypto.VerifyingKey;
import dev.popw.proto.v1.Challenge;
import dev.popw.proto.v1.SignedChallenge;
import dev.popw.receipt.ReceiptFailure;
import dev.popw.receipt.ReceiptTrust;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Signed challenge messages (docs/wire-format.md, "GPU challenges"): the coordinator signs each
 * {@code Challenge} with the key that signs its receipts, over
 * {@code "popw.v1.Challenge" || 0x00 || challenge}; a device acts only on one that verifies under
 * the coordinator key it pinned and names it, so a stranger who can publish on the challenges
 * topic cannot make a GPU work for nothing.
 */
public final class Challenges {
  static final byte[] DOMAIN = "popw.v1.Challenge\0".getBytes(StandardCharsets.US_ASCII);
  /** Largest serialized {@code SignedChallenge} a device parses. */
  public static final int MAX_BYTES = 8 * 1024;

  private Challenges() {}

  public static byte[] signedMessage(byte[] challenge) {
    return dev.popw.internal.crypto.Domains.prefixed(DOMAIN, challenge);
  }

  /** The serialized {@code SignedChallenge}. */
  public static byte[] sign(Challenge challenge, DeviceSigner coordinatorKey) {
    Objects.requireNonNull(challenge, "challenge");
    if (coordinatorKey.keyType() != KeyType.ED25519) {
      throw new IllegalArgumentException("a coordinator key is Ed25519, got " + coordinatorKey.keyType());
    }
    byte[] bytes = challenge.toByteArray();
    return SignedChallenge.newBuilder().setChallenge(ByteString.copyFrom(bytes))
        .setSignature(ByteString.copyFrom(coordinatorKey.sign(signedMessage(bytes))))
        .setCoordinatorKey(ByteString.copyFrom(coordinatorKey.publicKey())).build().toByteArray();
  }

  /** The outcome of checking one challenge message: the challenge, or why it was ignored. */
  public record Check(Challenge challenge, ReceiptFailure failure, boolean authenticated) {
    public boolean isValid() {
      return challenge != null;
    }
  }

  /**
   * Checks a serialized {@code SignedChallenge} for {@code device} against the trust a device uses
   * for receipts (the same pinned key). Never throws on bad input. With development trust
   * ({@link ReceiptTrust#unverifiedForDevelopment()}) the signature is not checked, as for receipts.
   */
  public static Check check(ReceiptTrust trust, byte[] payload, DeviceId device) {
    if (payload == null || payload.length == 0 || payload.length > MAX_BYTES) {
      return new Check(null, ReceiptFailure.MALFORMED, false);
    }
    SignedChallenge sc;
    Challenge c;
    try {
      sc = SignedChallenge.parseFrom(payload);
      if (sc.getChallenge().isEmpty()) {
        return new Check(null, ReceiptFailure.MALFORMED, false);
      }
      c = Challenge.parseFrom(sc.getChallenge());
    } catch (InvalidProtocolBufferException e) {
      return new Check(null, ReceiptFailure.MALFORMED, false);
    }
    boolean verified = false;
    if (trust.verifies()) {
      byte[] pinned = trust.coordinatorKey().orElseThrow();
      if (sc.getSignature().isEmpty()) {
        return new Check(null, ReceiptFailure.UNSIGNED, false);
      }
      if (!sc.getCoordinatorKey().isEmpty() && !Arrays.equals(sc.getCoordinatorKey().toByteArray(), pinned)) {
        return new Check(null, ReceiptFailure.UNTRUSTED_KEY, false);
      }
      VerifyingKey k = Ed25519Scheme.decodePublicKey(pinned);
      byte[] m = signedMessage(sc.getChallenge().toByteArray());
      if (k == null || k.verify(m, 0, m.length, sc.getSignature().toByteArray()) != SignatureCheck.VALID) {
        return new Check(null, ReceiptFailure.BAD_SIGNATURE, false);
      }
      verified = true;
    }
    if (!device.matches(c.getDeviceId().toByteArray())) {
      return new Check(null, ReceiptFailure.WRONG_DEVICE, false);
    }
    return new Check(c, null, verified);
  }
}
