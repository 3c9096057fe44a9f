package dev.popw.agent.coverage;

import java.util.Arrays;
import java.util.Optional;

/**
 * The radio payload of a PoPW coverage beacon (29 bytes): {@code "PoPW"} | version 1 | beacon id
 * (16 random bytes, also the beacon's entropy) | beaconer tag (first 8 bytes of SHA-256 of the
 * beaconer's device id bytes). A witness quotes id and tag, so the coordinator can match witnesses
 * to the beacon report the beaconer signed.
 */
public record Beacon(byte[] beaconId, byte[] beaconerTag) {
  private static final byte[] MAGIC = {'P', 'o', 'P', 'W'};
  public static final int LENGTH = 29;

  public byte[] encode() {
    byte[] out = new byte[LENGTH];
    System.arraycopy(MAGIC, 0, out, 0, 4);
    out[4] = 1;
    System.arraycopy(beaconId, 0, out, 5, 16);
    System.arraycopy(beaconerTag, 0, out, 21, 8);
    return out;
  }

  /** The beacon in a received LoRa payload, if it is one. */
  public static Optional<Beacon> decode(byte[] payload) {
    if (payload.length != LENGTH || !Arrays.equals(Arrays.copyOf(payload, 4), MAGIC) || payload[4] != 1) {
      return Optional.empty();
    }
    return Optional.of(new Beacon(Arrays.copyOfRange(payload, 5, 21), Arrays.copyOfRange(payload, 21, 29)));
  }

  /** The tag of a beaconer: SHA-256 of its device id bytes, first 8 bytes. */
  public static byte[] tagOf(byte[] deviceIdBytes) {
    try {
      return Arrays.copyOf(java.security.MessageDigest.getInstance("SHA-256").digest(deviceIdBytes), 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
