package dev.popw.gpuproof;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which tiles and memory blocks the coordinator names, and the vectors of Freivalds' test: all
 * derived from the challenge's open seed (coordinator entropy drawn when the challenge was issued
 * and not sent until the device has committed) and the committed root. So the choice is
 * unpredictable to the device and yet a pure function of recorded data:
 *
 * <pre>
 * draw(tag, i) = u64be(first 8 bytes of SHA-256(tag || 0x00 || open_seed || root || u32be i))
 * tiles:  draw("popw.v1.gpu.open", i)  mod leaves,   i = 0, 1, ... until k distinct indices
 * blocks: draw("popw.v1.gpu.probe", i) mod blocks,   likewise
 * </pre>
 */
public final class OpenSelection {
  private OpenSelection() {}

  /** {@code min(k, leaves)} distinct leaf indices, in the order drawn. */
  public static List<Long> tiles(byte[] openSeed, byte[] root, int k, long leaves) {
    return distinct("popw.v1.gpu.open", openSeed, root, k, leaves);
  }

  /** {@code min(q, blocks)} distinct probe blocks; none when there is no probe. */
  public static List<Long> probeBlocks(byte[] openSeed, byte[] root, int q, long blocks) {
    return blocks == 0 ? List.of() : distinct("popw.v1.gpu.probe", openSeed, root, q, blocks);
  }

  private static List<Long> distinct(String tag, byte[] openSeed, byte[] root, int k, long range) {
    int want = (int) Math.min(k, range);
    Set<Long> out = new LinkedHashSet<>();
    MessageDigest d = ChallengeMatrices.sha256();
    byte[] t = tag.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; out.size() < want; i++) {
      d.reset();
      d.update(t);
      d.update((byte) 0);
      d.update(openSeed);
      d.update(root);
      d.update(new byte[] {(byte) (i >>> 24), (byte) (i >>> 16), (byte) (i >>> 8), (byte) i});
      byte[] h = d.digest();
      long v = 0;
      for (int j = 0; j < 8; j++) {
        v = (v << 8) | (h[j] & 0xFF);
      }
      out.add(Long.remainderUnsigned(v, range));
    }
    return new ArrayList<>(out);
  }

  /**
   * Freivalds vector {@code round} for a tile: {@code tile} 64-bit words of the stream keyed by
   * SHA-256("popw.v1.gpu.freivalds" || 0x00 || open_seed || u64be leaf || u32be round).
   */
  public static long[] freivalds(byte[] openSeed, long leaf, int round, int tile) {
    MessageDigest d = ChallengeMatrices.sha256();
    d.update("popw.v1.gpu.freivalds".getBytes(StandardCharsets.US_ASCII));
    d.update((byte) 0);
    d.update(openSeed);
    d.update(TileTree.u64(leaf));
    d.update(new byte[] {(byte) (round >>> 24), (byte) (round >>> 16), (byte) (round >>> 8), (byte) round});
    byte[] h = d.digest();
    long key = 0;
    for (int i = 7; i >= 0; i--) {
      key = (key << 8) | (h[i] & 0xFF);
    }
    long[] r = new long[tile];
    for (int j = 0; j < tile; j++) {
      r[j] = ChallengeMatrices.word(key, j);
    }
    return r;
  }
}
