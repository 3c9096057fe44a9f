package dev.popw.envelope;

import dev.popw.internal.crypto.Sha256;
import java.nio.charset.StandardCharsets;

/** Constants and helpers of envelope format version 1 (docs/wire-format.md). */
public final class Envelopes {
  /** The envelope format version this SDK writes and verifies. */
  public static final int VERSION = 1;

  /**
   * The domain-separation prefix: the ASCII bytes of {@code popw.v1.Telemetry} and a zero byte.
   * A device key's signature over telemetry can never be mistaken for a signature over anything
   * else the key signs (a registration, an EVM message).
   */
  private static final byte[] DOMAIN = "popw.v1.Telemetry\0".getBytes(StandardCharsets.US_ASCII);

  private Envelopes() {}

  /** A copy of the domain-separation prefix. */
  public static byte[] domain() {
    return DOMAIN.clone();
  }

  /** The exact bytes a device signs: the domain prefix followed by the serialized telemetry. */
  public static byte[] signingMessage(byte[] telemetry) {
    return dev.popw.internal.crypto.Domains.prefixed(DOMAIN, telemetry);
  }

  static byte[] signingMessage(com.google.protobuf.ByteString telemetry) {
    byte[] m = new byte[DOMAIN.length + telemetry.size()];
    System.arraycopy(DOMAIN, 0, m, 0, DOMAIN.length);
    telemetry.copyTo(m, DOMAIN.length);
    return m;
  }

  /**
   * The envelope hash: SHA-256 of the serialized telemetry. It names an envelope in receipts and
   * links each envelope to the previous one ({@code prev_hash}).
   */
  public static byte[] hash(byte[] telemetry) {
    return Sha256.hash(telemetry);
  }
}
