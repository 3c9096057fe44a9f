package dev.popw.coordinator.validation.gpu;

import dev.popw.coordinator.validation.BoundsValidator;
import dev.popw.coordinator.validation.ChallengeRecord;
import dev.popw.coordinator.validation.ChallengeStatus;
import dev.popw.coordinator.validation.ChallengeVerdict;
import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.EpochEvidence;
import dev.popw.coordinator.validation.Evidence;
import dev.popw.coordinator.validation.GpuEvidence;
import dev.popw.coordinator.validation.GpuFingerprint;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.VerdictSink;
import dev.popw.coordinator.validation.WorkKind;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.coordinator.validation.WorkValidator;
import dev.popw.proto.v1.GpuProof;
import dev.popw.proto.v1.GpuReport;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The GPU validator (docs/gpu-proofs.md). Per GPU report: physical bounds (IMPLAUSIBLE), the pinned
 * fingerprint (FINGERPRINT_CHANGED), and for a report carrying a proof that it answers a challenge
 * issued to this device (UNKNOWN_CHALLENGE). Per challenge whose expiry falls in the epoch: its
 * verdict ({@link ChallengeJudge}). Per device:
 *
 * <pre>
 * uptime   = slots of report_interval in the epoch holding a valid GPU report (by receipt time) / all slots
 * pass     = VALID challenges / (VALID + INVALID)   (VOID ones count neither way; 0 without challenges)
 * capacity = the units of the pinned GPUs' classes, summed
 * units    = capacity x pass x uptime
 * </pre>
 *
 * Summary: completeness = uptime, quality = pass, units as above.
 */
public final class GpuProofValidator implements WorkValidator {
  private final GpuProofRules rules;

  public GpuProofValidator(GpuProofRules rules) {
    this.rules = rules;
  }

  public GpuProofRules rules() {
    return rules;
  }

  @Override
  public WorkKind kind() {
    return WorkKind.GPU;
  }

  @Override
  public String parameters() {
    return rules.canonical();
  }

  @Override
  public void validate(EpochEvidence evidence, VerdictSink out) {
    GpuEvidence gpu = evidence.gpu();
    long slotMs = rules.reportInterval().toMillis();
    long slots = Math.max(1, (evidence.endMs() - evidence.startMs() + slotMs - 1) / slotMs);
    Map<String, DeviceTally> tallies = new TreeMap<>();
    evidence.forEachDevice(WorkKind.GPU, (device, list) -> {
      DeviceTally t = tallies.computeIfAbsent(device.deviceId(), DeviceTally::new);
      for (Evidence e : list) {
        Verdict v = report(e, gpu);
        out.verdict(v);
        t.envelopes++;
        if (v.isValid()) {
          t.valid++;
          GpuReport r = e.telemetry().getGpu();
          if (r.getGpusCount() > 0 && e.receivedAt() >= evidence.startMs() && e.receivedAt() < evidence.endMs()) {
            t.slots.add((e.receivedAt() - evidence.startMs()) / slotMs);
          }
        }
      }
    });
    for (ChallengeRecord c : gpu.decidedIn(evidence.startMs(), evidence.endMs())) {
      ChallengeVerdict v = ChallengeJudge.judge(c, gpu.responses(c), rules.verify());
      out.challenge(v);
      DeviceTally t = tallies.computeIfAbsent(c.deviceId(), DeviceTally::new);
      t.verdicts.add(v);
    }
    for (DeviceTally t : tallies.values()) {
      out.summary(summary(t, slots, slotMs, gpu.pin(t.deviceId, evidence.endMs() - 1)));
    }
  }

  /** The verdict of one GPU report. */
  Verdict report(Evidence e, GpuEvidence gpu) {
    GpuReport r = e.telemetry().getGpu();
    String bad = BoundsValidator.gpu(r);
    if (bad != null) {
      return Verdict.invalid(e, WorkReason.IMPLAUSIBLE, bad);
    }
    if (r.getGpusCount() > 0) {
      Optional<GpuFingerprint.Pin> pin = gpu.pin(e.deviceId(), e.receivedAt());
      if (pin.isPresent()) {
        String change = pin.get().fingerprint().changeTo(GpuFingerprint.of(r));
        if (change != null) {
          return Verdict.invalid(e, WorkReason.FINGERPRINT_CHANGED, "the GPUs differ from those pinned at "
              + java.time.Instant.ofEpochMilli(pin.get().pinnedAt()) + ": " + change + "; re-register the device to pin the new set");
        }
      }
    }
    if (!r.hasProof()) {
      return Verdict.valid(e, r.getGpusCount() + " GPUs, values within physical bounds");
    }
    GpuProof p = r.getProof();
    Optional<ChallengeRecord> c = gpu.challenge(p.getChallengeId());
    if (c.isEmpty() || !c.get().deviceId().equals(e.deviceId())) {
      return Verdict.invalid(e, WorkReason.UNKNOWN_CHALLENGE, "challenge " + Long.toUnsignedString(p.getChallengeId())
          + " was not issued to this device");
    }
    String what = p.hasCommitment() ? "commitment" : p.hasOpening() ? String.format(Locale.ROOT, "opening part %d of %d",
        p.getOpening().getPart(), p.getOpening().getParts()) : p.hasFailure() ? "prover failure report" : "empty proof";
    return Verdict.valid(e, what + " for challenge " + p.getChallengeId() + " (the challenge has its own verdict)");
  }

  private DeviceEpochSummary summary(DeviceTally t, long slots, long slotMs, Optional<GpuFingerprint.Pin> pin) {
    long passed = 0;
    long failed = 0;
    long voided = 0;
    Map<String, Long> reasons = new TreeMap<>();
    for (ChallengeVerdict v : t.verdicts) {
      if (v.status() == ChallengeStatus.VALID) {
        passed++;
      } else if (v.status() == ChallengeStatus.VOID) {
        voided++;
      } else {
        failed++;
        reasons.merge(v.reason(), 1L, Long::sum);
      }
    }
    double uptime = Math.min(1.0, (double) t.slots.size() / slots);
    double pass = passed + failed == 0 ? 0 : (double) passed / (passed + failed);
    double capacity = 0;
    List<String> parts = new ArrayList<>();
    if (pin.isPresent()) {
      for (GpuFingerprint.Card card : pin.get().fingerprint().gpus()) {
        GpuClass g = rules.classFor(card.model());
        double u = g == null ? 0 : g.units();
        capacity += u;
        parts.add((g == null ? "no class" : g.name()) + " " + num(u));
      }
    }
    double units = capacity * pass * uptime;
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%d of %d challenges passed", passed, passed + failed));
    if (!reasons.isEmpty()) {
      b.append(" (");
      boolean first = true;
      for (Map.Entry<String, Long> e : reasons.entrySet()) {
        b.append(first ? "" : ", ").append(e.getValue()).append(' ').append(e.getKey());
        first = false;
      }
      b.append(')');
    }
    if (voided > 0) {
      b.append(", ").append(voided).append(" void");
    }
    b.append(String.format(Locale.ROOT, "; uptime %.3f (%d of %d %d-s slots with a valid GPU report)", uptime, t.slots.size(), slots,
        slotMs / 1000));
    if (pin.isEmpty()) {
      b.append("; no GPU fingerprint pinned, so no capacity");
    } else {
      b.append("; capacity ").append(num(capacity)).append(" (").append(String.join(" + ", parts)).append(')');
    }
    b.append(String.format(Locale.ROOT, "; units = %s x %.3f x %.3f = %.4f", num(capacity), pass, uptime, units));
    return new DeviceEpochSummary(t.deviceId, WorkKind.GPU, t.envelopes, t.valid, uptime, pass, units, b.toString());
  }

  private static String num(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%s", d);
  }

  private static final class DeviceTally {
    final String deviceId;
    long envelopes;
    long valid;
    final Set<Long> slots = new HashSet<>();
    final List<ChallengeVerdict> verdicts = new ArrayList<>();

    DeviceTally(String deviceId) {
      this.deviceId = deviceId;
    }
  }
}
