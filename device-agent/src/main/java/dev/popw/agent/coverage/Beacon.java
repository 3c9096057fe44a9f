package dev.popw.agent.coverage;

import java.util.Arrays;
import java.util.Optional;

/**
 * The radio payload of a PoPW coverage beacon, version 2 (37 bytes): {@code "PoPW"} | version 2 |
 * entropy prefix (the first 8 bytes of the coordinator entropy the beacon was made with) | beacon
 * id (16 bytes: SHA-256 of the entropy, the beaconer's random nonce and its device id, first 16
 * bytes; see {@code dev.popw.entropy.Entropies#beaconId}) | beaconer tag (first 8 bytes of
 * SHA-256 of the beaconer's device id bytes). A witness quotes prefix, id and tag, so the
 * coordinator can match witnesses to the beacon report the beaconer signed. Version 1 (29 bytes,
 * no entropy) is no longer a PoPW beacon.
 */
public record Beacon(byte[] entropyPrefix, byte[] beaconId, byte[] beaconerTag) {
  private static final byte[] MAGIC = {'P', 'o', 'P', 'W'};
  public static final int VERSION = 2;
  public static final int LENGTH = 37;

  public byte[] encode() {
    byte[] out = new byte[LENGTH];
    System.arraycopy(MAGIC, 0, out, 0, 4);
    out[4] = VERSION;
    System.arraycopy(entropyPrefix, 0, out, 5, 8);
    System.arraycopy(beaconId, 0, out, 13, 16);
    System.arraycopy(beaconerTag, 0, out, 29, 8);
    return out;
  }

  /** The beacon in a received LoRa payload, if it is one. */
  public static Optional<Beacon> decode(byte[] payload) {
    if (payload.length != LENGTH || !Arrays.equals(Arrays.copyOf(payload, 4), MAGIC) || payload[4] != VERSION) {
      return Optional.empty();
    }
    return Optional.of(new Beacon(Arrays.copyOfRange(payload, 5, 13), Arrays.copyOfRange(payload, 13, 29),
        Arrays.copyOfRange(payload, 29, 37)));
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
