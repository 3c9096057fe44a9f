package dev.popw.coordinator.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.ingest.IngestResult;
import dev.popw.coordinator.ingest.IngestStatus;
import dev.popw.coordinator.ingest.PipelineConfig;
import dev.popw.coordinator.registry.DeviceRegistry;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.envelope.Envelopes;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.Reason;
import dev.popw.envelope.VerificationResult;
import dev.popw.fuzz.FuzzStats;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import dev.popw.registration.Registrations;
import dev.popw.testing.MutableClock;
import dev.popw.testing.SampleTelemetry;
import dev.popw.testing.TestKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing past the signature: the fuzzer writes the telemetry, the harness signs it
 * with the key of a registered device (fixed test keys, one per device kind), and the coordinator's
 * ingest pipeline (verifier, device checks, sequence and duplicate logic, payload bounds, the
 * embedded database) decides. The input's first byte picks the device; the rest are the telemetry
 * bytes after the device's own id (field 1, which the input may override). The pipeline's clock
 * stands still at the seeds' time, so fresh telemetry stays fresh.
 *
 * <p>Properties: every envelope gets a decision within 10 s, with a known reason; the verifier
 * accepts exactly the telemetry that parses and names the signing device (it never gets to its
 * catch-all); an accepted envelope is in the database under its hash and sequence number.
 */
class SignedTelemetryFuzzer {
  static {
    // What Jazzer instruments for coverage in this fork: all of the coordinator and sdk-core, and
    // protobuf's parser (read when the fuzz test starts, after this class is initialized).
    System.setProperty("jazzer.instrument", "dev.popw.**,com.google.protobuf.**");
  }

  private static final String NETWORK = "popw-test";
  private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  /** Device i is registered as KINDS[i] with KEYS[i]. */
  private static final KeyType[] KEYS = {KeyType.ED25519, KeyType.ECDSA_P256, KeyType.ECDSA_SECP256K1};
  private static final DeviceKind[] KINDS = {DeviceKind.SENSOR, DeviceKind.COVERAGE, DeviceKind.GPU};
  private static final FuzzStats STATS = new FuzzStats("SignedTelemetryFuzzer");
  private static final Set<String> KNOWN_REASONS = new HashSet<>();
  private static final EnvelopeVerifier VERIFIER = EnvelopeVerifier.create();

  static {
    for (Reason r : EnumSet.allOf(Reason.class)) {
      KNOWN_REASONS.add(r.name());
    }
    for (dev.popw.coordinator.ingest.CoordinatorReason r : dev.popw.coordinator.ingest.CoordinatorReason.values()) {
      KNOWN_REASONS.add(r.name());
    }
    KNOWN_REASONS.add("DUPLICATE");
  }

  @TempDir
  static Path dir;
  private static Database db;
  private static Store store;
  private static IngestPipeline pipeline;
  private static final SoftwareSigner[] SIGNERS = new SoftwareSigner[KEYS.length];

  @BeforeAll
  static void start() {
    MutableClock clock = new MutableClock(NOW);
    db = TestDatabases.h2(dir);
    store = new Store(db);
    pipeline = new IngestPipeline(store, PipelineConfig.builder(NETWORK).writeBatch(100, Duration.ZERO).build(), clock);
    DeviceRegistry registry = new DeviceRegistry(store, pipeline, NETWORK, clock, Duration.ofMinutes(5));
    for (int i = 0; i < KEYS.length; i++) {
      SIGNERS[i] = TestKeys.signer(KEYS[i]);
      registry.register(Registrations.sign(SIGNERS[i], OWNER, KINDS[i], null, NETWORK, clock));
    }
  }

  @AfterAll
  static void stop() {
    STATS.report();
    pipeline.close();
    db.close();
  }

  static Stream<byte[]> telemetry() {
    long now = NOW.toEpochMilli();
    List<byte[]> seeds = new ArrayList<>();
    seeds.add(seed(0, base(1, now).setSensor(SampleTelemetry.weather())));
    seeds.add(seed(0, base(2, now - 3_600_000).setSensor(SampleTelemetry.weather()))); // backfill
    seeds.add(seed(0, base(3, now).setPrevHash(ByteString.copyFrom(new byte[32])).setSimulated(true).setSensor(SampleTelemetry.weather())));
    seeds.add(seed(0, base(4, now).setSensor(SensorReading.newBuilder()
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(Double.NaN))
        .setLocation(Location.newBuilder().setLatitude(91).setLongitude(-181)))));
    seeds.add(seed(0, base(5, now).setSensor(SensorReading.newBuilder())));
    seeds.add(seed(0, base(6, now).setGpu(SampleTelemetry.gpus(1)))); // wrong kind
    seeds.add(seed(0, base(1, now).setSensor(SampleTelemetry.weather().toBuilder().setSensorModel("other")))); // equivocation
    seeds.add(seed(0, base(0, now).setSensor(SampleTelemetry.weather()))); // sequence 0
    seeds.add(seed(0, base(-1, -1).setSensor(SampleTelemetry.weather()))); // uint64 extremes
    seeds.add(seed(0, base(7, now).setNetworkId("elsewhere").setSensor(SampleTelemetry.weather())));
    seeds.add(seed(0, base(8, now)));
    seeds.add(seed(1, base(1, now).setCoverage(SampleTelemetry.witness())));
    seeds.add(seed(1, base(2, now - 3_600_000).setCoverage(SampleTelemetry.witness()))); // stale
    seeds.add(seed(1, base(3, now + 3_600_000).setCoverage(SampleTelemetry.witness()))); // future
    seeds.add(seed(1, base(4, now).setCoverage(SampleTelemetry.witness().toBuilder().setRssiDbm(Float.POSITIVE_INFINITY)
        .setLocation(Location.newBuilder().setLatitude(Double.NaN)))));
    seeds.add(seed(2, base(1, now).setGpu(SampleTelemetry.gpus(2))));
    seeds.add(seed(2, base(2, now).setGpu(SampleTelemetry.gpus(0))));
    return seeds.stream();
  }

  private static Telemetry.Builder base(long sequence, long timestampMs) {
    return Telemetry.newBuilder().setSequence(sequence).setTimestampMs(timestampMs).setNetworkId(NETWORK);
  }

  /** An input: the device's index, then the telemetry without its device id (the harness puts it first). */
  private static byte[] seed(int device, Telemetry.Builder t) {
    return FuzzSupport.concat(new byte[] {(byte) device}, t.build().toByteArray());
  }

  @MethodSource
  @FuzzTest(maxDuration = "10s")
  void telemetry(byte[] input) throws Exception {
    int device = input.length == 0 ? 0 : Math.floorMod(input[0], KEYS.length);
    SoftwareSigner signer = SIGNERS[device];
    byte[] id = signer.deviceId().toBytes();
    byte[] rest = input.length == 0 ? input : java.util.Arrays.copyOfRange(input, 1, input.length);
    byte[] telemetry = FuzzSupport.concat(new byte[] {0x0a, (byte) id.length}, id, rest);
    byte[] envelope = SignedEnvelope.newBuilder().setVersion(Envelopes.VERSION).setKeyTypeValue(signer.keyType().wireValue())
        .setPublicKey(ByteString.copyFrom(signer.publicKey())).setTelemetry(ByteString.copyFrom(telemetry))
        .setSignature(ByteString.copyFrom(signer.sign(Envelopes.signingMessage(telemetry)))).build().toByteArray();

    VerificationResult v = VERIFIER.verify(envelope);
    if (v.detail().startsWith("unparsable envelope (")) {
      throw new AssertionError("an exception escaped the verifier's checks: " + v.detail());
    }
    boolean names = namesTheSigner(telemetry, id);
    if (v.isOk() != names) {
      throw new AssertionError("the verifier said " + v + " of validly signed telemetry that " + (names ? "parses and names" : "does not name")
          + " the signing device");
    }

    IngestResult r;
    try {
      r = pipeline.submit(envelope, null).get(FuzzSupport.ANSWER_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("the pipeline did not decide within " + FuzzSupport.ANSWER_TIMEOUT_MS + " ms", e);
    }
    if (r == null || r.status() == null) {
      throw new AssertionError("no decision");
    }
    if (r.status() != IngestStatus.ACCEPTED && !KNOWN_REASONS.contains(r.reason())) {
      throw new AssertionError("an unknown reason: " + r);
    }
    if (r.status() == IngestStatus.ACCEPTED) {
      Telemetry t = Telemetry.parseFrom(ByteString.copyFrom(telemetry));
      var row = store.envelopes().envelope(r.envelopeHash());
      if (row.isEmpty() || row.get().sequence() != t.getSequence()) {
        throw new AssertionError("accepted but not stored as sequence " + t.getSequence() + ": " + row);
      }
    }
    STATS.run(r.status() == IngestStatus.ACCEPTED ? "ACCEPTED" : r.reason());
  }

  /**
   * Whether the telemetry parses (strictly: from a ByteString, as the verifier parses it;
   * protobuf-javalite's parseFrom(byte[]) also takes over-long varints) and names this device.
   */
  private static boolean namesTheSigner(byte[] telemetry, byte[] id) {
    try {
      return java.util.Arrays.equals(Telemetry.parseFrom(ByteString.copyFrom(telemetry)).getDeviceId().toByteArray(), id);
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }
}
