package dev.popw.coordinator.validation;

import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * A read-only view of one epoch's evidence: every accepted envelope whose receipt time falls in
 * {@code [startMs, endMs)}, and the registry as it stood when the epoch closed. Iteration order is
 * canonical (devices by id, each device's envelopes by sequence number), never the order of
 * arrival, so a validator that only reads this view is deterministic.
 */
public interface EpochEvidence {
  long epoch();

  long startMs();

  long endMs();

  /** The registry snapshot of a device with evidence in this epoch. */
  Optional<RegisteredDevice> device(String deviceId);

  /** Devices with evidence of this kind, ordered by id. */
  List<RegisteredDevice> devices(WorkKind kind);

  /**
   * Calls {@code action} once per device with evidence of this kind, in device id order, with that
   * device's envelopes in sequence order. May be called more than once (validators with several
   * passes); each call reads the evidence again.
   */
  void forEachDevice(WorkKind kind, BiConsumer<RegisteredDevice, List<Evidence>> action);

  /**
   * Like {@link #forEachDevice(WorkKind, BiConsumer)} for the evidence received in {@code [fromMs,
   * toMs)}, which may lie before the epoch (up to the validators' {@link WorkValidator#lookback()}):
   * context for rules that look back, never judged in this epoch. The registry snapshot covers
   * devices with evidence in the lookback too. This default sees only the epoch itself.
   */
  default void forEachDevice(WorkKind kind, long fromMs, long toMs, BiConsumer<RegisteredDevice, List<Evidence>> action) {
    forEachDevice(kind, (d, l) -> {
      List<Evidence> in = l.stream().filter(e -> e.receivedAt() >= fromMs && e.receivedAt() < toMs).toList();
      if (!in.isEmpty()) {
        action.accept(d, in);
      }
    });
  }

  /** Entropy the coordinator issued in {@code [fromMs, toMs)} (issue time), by sequence. */
  default List<IssuedEntropy> entropy(long fromMs, long toMs) {
    return List.of();
  }

  /** GPU challenges and fingerprint pins (docs/gpu-proofs.md); none by default. */
  default GpuEvidence gpu() {
    return GpuEvidence.NONE;
  }
}
