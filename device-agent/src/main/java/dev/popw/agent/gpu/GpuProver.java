package dev.popw.agent.gpu;

import dev.popw.gpuproof.ProofParameters;
import dev.popw.proto.v1.GpuProbeRead;
import dev.popw.proto.v1.GpuTileOpening;

/** Computes GPU capacity challenges: the CPU reference prover or the CUDA one. */
public interface GpuProver extends AutoCloseable {
  /** "cuda NVIDIA H100 80GB HBM3", "cpu-java 16 threads". */
  String describe();

  /** Why this prover cannot take the challenge, or null. */
  String refusal(ProofParameters p);

  /**
   * Computes the challenge on the named GPU and commits to it.
   *
   * @throws Exception with a one-line message when it cannot (out of memory, CUDA error)
   */
  Proof prove(ProofParameters p, String gpuUuid) throws Exception;

  /** A computed challenge, kept until its openings are sent. */
  interface Proof extends AutoCloseable {
    byte[] root();

    long computeMillis();

    GpuTileOpening open(long leaf) throws Exception;

    GpuProbeRead read(long block) throws Exception;

    @Override
    void close();
  }

  @Override
  void close();
}
