package dev.popw.coordinator.validation;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The work layer's result for one epoch: every verdict, every device summary, and their hashes
 * in the canonical encoding (docs/validation.md, "Verdict-set hash"):
 *
 * <pre>
 * verdict_set_hash = SHA-256( "popw.v1.VerdictSet" 0x00 || u64 epoch || u32 count
 *                            || for each verdict, by envelope hash (unsigned bytes):
 *                               hash[32] || u8 status || u8 kind || u16 len || reason
 *                               || u32 len || explanation )
 * summary_hash     = SHA-256( "popw.v1.DeviceEpochSummaries" 0x00 || u64 epoch || u32 count
 *                            || for each summary, by (kind, device id):
 *                               u16 len || device id || u8 kind || u64 envelopes || u64 valid
 *                               || f64 completeness || f64 quality || f64 units || u32 len || explanation )
 *                            [ || "popw.v1.GpuChallenges" 0x00 || u32 count || for each challenge verdict, by id:
 *                               u64 id || u16 len || device id || u8 status || u16 len || reason
 *                               || u32 len || explanation || f64 units ]   (only when the epoch decided challenges)
 * parameters_hash  = SHA-256( UTF-8 of the validators' canonical parameters )
 * </pre>
 *
 * Integers are big-endian, strings UTF-8, doubles their IEEE 754 bits big-endian, status and
 * kind the codes of {@link VerdictStatus#code()} and {@link WorkKind} ordinal + 1.
 */
public record EpochResult(long epoch, List<Verdict> verdicts, List<DeviceEpochSummary> summaries, byte[] verdictSetHash,
    byte[] summaryHash, String parameters, byte[] parametersHash, List<CoverageSummary> coverage, List<ReportUnits> units,
    List<ChallengeVerdict> challenges) {

  private static final Comparator<Verdict> BY_HASH = (a, b) -> Arrays.compareUnsigned(a.envelopeHash(), b.envelopeHash());
  private static final Comparator<DeviceEpochSummary> BY_DEVICE =
      Comparator.comparing(DeviceEpochSummary::kind).thenComparing(DeviceEpochSummary::deviceId);

  /** Runs every validator over the epoch's evidence. */
  public static EpochResult compute(EpochEvidence evidence, Validators validators) {
    List<Verdict> verdicts = new ArrayList<>();
    List<DeviceEpochSummary> summaries = new ArrayList<>();
    List<CoverageSummary> coverage = new ArrayList<>();
    List<ReportUnits> units = new ArrayList<>();
    List<ChallengeVerdict> challenges = new ArrayList<>();
    VerdictSink sink = new VerdictSink() {
      @Override
      public void challenge(ChallengeVerdict v) {
        challenges.add(v);
      }

      @Override
      public void verdict(Verdict v) {
        verdicts.add(v);
      }

      @Override
      public void summary(DeviceEpochSummary s) {
        summaries.add(s);
      }

      @Override
      public void coverage(CoverageSummary s) {
        coverage.add(s);
      }

      @Override
      public void units(ReportUnits u) {
        units.add(u);
      }
    };
    for (WorkValidator v : validators.all()) {
      v.validate(evidence, sink);
    }
    return of(evidence.epoch(), verdicts, summaries, validators.parameters(), coverage, units, challenges);
  }

  /** Sorts and hashes given results (also used to hash verdicts read back from the database). */
  public static EpochResult of(long epoch, List<Verdict> verdicts, List<DeviceEpochSummary> summaries, String parameters) {
    return of(epoch, verdicts, summaries, parameters, List.of(), List.of(), List.of());
  }

  /** Sorts and hashes given results, GPU challenge verdicts included. */
  public static EpochResult of(long epoch, List<Verdict> verdicts, List<DeviceEpochSummary> summaries, List<ChallengeVerdict> challenges,
      String parameters) {
    return of(epoch, verdicts, summaries, parameters, List.of(), List.of(), challenges);
  }

  /** With the coverage validator's numbers (see below), no GPU challenges. */
  public static EpochResult of(long epoch, List<Verdict> verdicts, List<DeviceEpochSummary> summaries, String parameters,
      List<CoverageSummary> coverage, List<ReportUnits> units) {
    return of(epoch, verdicts, summaries, parameters, coverage, units, List.of());
  }

  /**
   * Everything: the coverage validator's numbers are not hashed separately (every number in them is
   * also in a hashed explanation: the report's verdict, the device's summary); GPU challenge
   * verdicts are appended to the summary hash in epochs that have any.
   */
  public static EpochResult of(long epoch, List<Verdict> verdicts, List<DeviceEpochSummary> summaries, String parameters,
      List<CoverageSummary> coverage, List<ReportUnits> units, List<ChallengeVerdict> challenges) {
    List<Verdict> v = new ArrayList<>(verdicts);
    v.sort(BY_HASH);
    List<DeviceEpochSummary> s = new ArrayList<>(summaries);
    s.sort(BY_DEVICE);
    List<ChallengeVerdict> c = new ArrayList<>(challenges);
    c.sort(Comparator.comparingLong(ChallengeVerdict::challengeId));
    return new EpochResult(epoch, List.copyOf(v), List.copyOf(s), verdictSetHash(epoch, v), summaryHash(epoch, s, c), parameters,
        sha256(parameters.getBytes(StandardCharsets.UTF_8)), List.copyOf(coverage), List.copyOf(units), List.copyOf(c));
  }

  /** The canonical encoding of the challenge verdicts (sorted by id), as appended to the summary hash. */
  public static byte[] encodeChallenges(List<ChallengeVerdict> sorted) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.write("popw.v1.GpuChallenges".getBytes(StandardCharsets.US_ASCII));
      out.writeByte(0);
      out.writeInt(sorted.size());
      for (ChallengeVerdict x : sorted) {
        out.writeLong(x.challengeId());
        writeShortString(out, x.deviceId());
        out.writeByte(x.status().code());
        writeShortString(out, x.reason());
        writeLongString(out, x.explanation());
        out.writeLong(Double.doubleToLongBits(x.units()));
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The canonical encoding of a verdict set, as hashed. */
  public static byte[] encodeVerdicts(long epoch, List<Verdict> sorted) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      header(out, "popw.v1.VerdictSet", epoch, sorted.size());
      for (Verdict x : sorted) {
        out.write(x.envelopeHash());
        out.writeByte(x.status().code());
        out.writeByte(x.kind().ordinal() + 1);
        writeShortString(out, x.reason());
        writeLongString(out, x.explanation());
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] verdictSetHash(long epoch, List<Verdict> sorted) {
    return sha256(encodeVerdicts(epoch, sorted));
  }

  private static byte[] summaryHash(long epoch, List<DeviceEpochSummary> sorted, List<ChallengeVerdict> challenges) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      header(out, "popw.v1.DeviceEpochSummaries", epoch, sorted.size());
      for (DeviceEpochSummary s : sorted) {
        writeShortString(out, s.deviceId());
        out.writeByte(s.kind().ordinal() + 1);
        out.writeLong(s.envelopes());
        out.writeLong(s.valid());
        out.writeLong(Double.doubleToLongBits(s.completeness()));
        out.writeLong(Double.doubleToLongBits(s.quality()));
        out.writeLong(Double.doubleToLongBits(s.units()));
        writeLongString(out, s.explanation());
      }
      if (!challenges.isEmpty()) {
        out.write(encodeChallenges(challenges));
      }
      out.flush();
      return sha256(bytes.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The domain tag, a zero byte, the epoch and the record count. */
  private static void header(DataOutputStream out, String tag, long epoch, int count) throws IOException {
    out.write(tag.getBytes(StandardCharsets.US_ASCII));
    out.writeByte(0);
    out.writeLong(epoch);
    out.writeInt(count);
  }

  private static void writeShortString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeShort(b.length);
    out.write(b);
  }

  private static void writeLongString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  static byte[] sha256(byte[] in) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(in);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public long validCount() {
    return verdicts.stream().filter(Verdict::isValid).count();
  }
}
