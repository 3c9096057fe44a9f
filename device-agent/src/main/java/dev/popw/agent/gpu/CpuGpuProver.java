package dev.popw.agent.gpu;

import dev.popw.gpuproof.CpuProver;
import dev.popw.gpuproof.ProofParameters;
import dev.popw.proto.v1.GpuProbeRead;
import dev.popw.proto.v1.GpuTileOpening;

/** The CPU reference prover of sdk-core, every core of the host. */
public final class CpuGpuProver implements GpuProver {
  private final CpuProver prover;

  public CpuGpuProver(int threads) {
    this.prover = new CpuProver(threads);
  }

  @Override
  public String describe() {
    return prover.describe();
  }

  @Override
  public String refusal(ProofParameters p) {
    String r = CpuProver.refusal(p);
    if (r != null) {
      return r;
    }
    long need = 4L * p.n() * p.n() + 64L * p.leaves() + p.probeBytes() + 16L * 1024 * 1024;
    long max = Runtime.getRuntime().maxMemory();
    if (need > max) {
      return "the CPU prover needs about " + (need >> 20) + " MiB of heap for this challenge, the JVM has " + (max >> 20)
          + " MiB (raise -Xmx with POPW_AGENT_JAVA_OPTS)";
    }
    return null;
  }

  @Override
  public Proof prove(ProofParameters p, String gpuUuid) throws InterruptedException {
    CpuProver.Commitment c = prover.prove(p);
    return new Proof() {
      @Override
      public byte[] root() {
        return c.root();
      }

      @Override
      public long computeMillis() {
        return c.computeNanos() / 1_000_000;
      }

      @Override
      public GpuTileOpening open(long leaf) {
        return c.open(leaf);
      }

      @Override
      public GpuProbeRead read(long block) {
        return c.read(block);
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void close() {
    prover.close();
  }
}
