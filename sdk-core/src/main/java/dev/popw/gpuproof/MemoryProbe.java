package dev.popw.gpuproof;

/**
 * The memory probe's content: block {@code b} (64 bytes) is the words {@code 8b .. 8b + 7} of the
 * stream keyed by {@link ChallengeMatrices#keyProbe}, little-endian. The device fills the probed
 * memory with it and reads the named blocks back after committing; the coordinator recomputes them.
 *
 * <p>What it shows: the device could allocate the probed memory and returned the named blocks
 * intact. What it does not: that the data stayed in memory, because a block can be recomputed on
 * demand (docs/gpu-proofs.md, "Memory probe").
 */
public final class MemoryProbe {
  private MemoryProbe() {}

  /** Block {@code b} into {@code out[off .. off + 64)}. */
  public static void block(long key, long b, byte[] out, int off) {
    for (int j = 0; j < 8; j++) {
      long v = ChallengeMatrices.word(key, 8 * b + j);
      for (int i = 0; i < 8; i++) {
        out[off + 8 * j + i] = (byte) (v >>> (8 * i));
      }
    }
  }

  public static byte[] block(long key, long b) {
    byte[] out = new byte[ProofParameters.PROBE_BLOCK_BYTES];
    block(key, b, out, 0);
    return out;
  }
}
