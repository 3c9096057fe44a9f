package dev.popw.coordinator.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.ingest.PipelineConfig;
import dev.popw.coordinator.registry.DeviceRegistry;
import dev.popw.coordinator.registry.RegistrationException;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.DeviceRecord;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.fuzz.FuzzStats;
import dev.popw.identity.DeviceId;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Registration;
import dev.popw.proto.v1.SignedRegistration;
import dev.popw.registration.RegistrationResult;
import dev.popw.registration.Registrations;
import dev.popw.testing.MutableClock;
import dev.popw.testing.TestKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing of registration parsing: sdk-core's {@link Registrations#verify} and the
 * coordinator's {@link DeviceRegistry#register} over the embedded database. The first byte of an
 * input is the mode: bit 0 clear, the rest is the signed registration as received (arbitrary
 * bytes); set, the rest is a Registration after the key type and public key of a fixed test key
 * (bits 1-2 pick it; the input may override them), which the harness signs, so the fuzzer gets past
 * the signature to the network, clock window, location, kind and "only forward" checks and the
 * database. The registry's clock stands still at the seeds' time.
 *
 * <p>Properties: verify never gets to its catch-all; register either registers or refuses with a
 * {@link RegistrationException} (one line for the device owner), never anything else; it refuses
 * exactly what verify finds invalid; a registration it takes is in the database with the owner,
 * kind and place it names.
 */
class DeviceRegistryFuzzer {
  static {
    // What Jazzer instruments for coverage in this fork: all of the coordinator and sdk-core, and
    // protobuf's parser (read when the fuzz test starts, after this class is initialized).
    System.setProperty("jazzer.instrument", "dev.popw.**,com.google.protobuf.**");
  }

  private static final String NETWORK = "popw-test";
  private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
  private static final KeyType[] KEYS = {KeyType.ED25519, KeyType.ECDSA_P256, KeyType.ECDSA_SECP256K1};
  private static final byte[] DOMAIN = "popw.v1.Registration\0".getBytes(StandardCharsets.US_ASCII);
  private static final FuzzStats STATS = new FuzzStats("DeviceRegistryFuzzer");

  @TempDir
  static Path dir;
  private static Database db;
  private static Store store;
  private static IngestPipeline pipeline;
  private static DeviceRegistry registry;

  @BeforeAll
  static void start() {
    MutableClock clock = new MutableClock(NOW);
    db = TestDatabases.h2(dir);
    store = new Store(db);
    pipeline = new IngestPipeline(store, PipelineConfig.builder(NETWORK).build(), clock);
    registry = new DeviceRegistry(store, pipeline, NETWORK, clock, Duration.ofMinutes(5));
  }

  @AfterAll
  static void stop() {
    STATS.report();
    pipeline.close();
    db.close();
  }

  static Stream<byte[]> registrations() {
    List<byte[]> seeds = new ArrayList<>();
    EvmAddress owner = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    Clock now = Clock.fixed(NOW, ZoneOffset.UTC);
    for (int k = 0; k < KEYS.length; k++) {
      SoftwareSigner s = TestKeys.signer(KEYS[k]);
      // as received: valid, and valid with a place
      seeds.add(FuzzSupport.concat(new byte[] {0}, Registrations.sign(s, owner, DeviceKind.forNumber(k + 1), null, NETWORK, now)));
      seeds.add(FuzzSupport.concat(new byte[] {0}, Registrations.sign(s, owner, DeviceKind.SENSOR,
          Location.newBuilder().setLatitude(52.52).setLongitude(13.405).setH3Cell(0x8a1f1d4a8b67fffL).build(), NETWORK, now)));
      // to be signed by the harness
      int mode = 1 | k << 1;
      seeds.add(signed(mode, body(owner, DeviceKind.SENSOR, NOW.toEpochMilli() + 1000, NETWORK, null)));
      seeds.add(signed(mode, body(owner, DeviceKind.GPU, NOW.toEpochMilli() + 2000, NETWORK,
          Location.newBuilder().setLatitude(-33.86).setLongitude(151.2).build())));
      seeds.add(signed(mode, body(owner, DeviceKind.COVERAGE, NOW.toEpochMilli() - 600_000, NETWORK, null))); // outside the window
      seeds.add(signed(mode, body(owner, DeviceKind.SENSOR, NOW.toEpochMilli(), "elsewhere", null)));
      seeds.add(signed(mode, body(owner, DeviceKind.DEVICE_KIND_UNSPECIFIED, NOW.toEpochMilli(), NETWORK,
          Location.newBuilder().setLatitude(Double.NaN).setLongitude(1e308).build())));
    }
    seeds.add(new byte[] {0, 0x0a, 0x02, 0x08, 0x01}); // a registration without a signature
    seeds.add(new byte[] {1, 0x18, 0x01}); // only the kind
    return seeds.stream();
  }

  private static Registration.Builder body(EvmAddress owner, DeviceKind kind, long timestampMs, String network, Location location) {
    Registration.Builder b = Registration.newBuilder().setOwner(ByteString.copyFrom(owner.bytes())).setKind(kind)
        .setTimestampMs(timestampMs).setNetworkId(network);
    return location == null ? b : b.setLocation(location);
  }

  private static byte[] signed(int mode, Registration.Builder b) {
    return FuzzSupport.concat(new byte[] {(byte) mode}, b.build().toByteArray());
  }

  @MethodSource
  @FuzzTest(maxDuration = "10s")
  void registrations(byte[] input) {
    int mode = input.length == 0 ? 0 : input[0] & 0xff;
    byte[] rest = input.length == 0 ? input : Arrays.copyOfRange(input, 1, input.length);
    byte[] signedRegistration = (mode & 1) == 0 ? rest : sign(TestKeys.signer(KEYS[(mode >> 1) % KEYS.length]), rest);

    RegistrationResult verified = Registrations.verify(signedRegistration);
    if (verified.error().orElse("").startsWith("unparsable registration (")) {
      throw new AssertionError("an exception escaped the registration checks: " + verified.error().get());
    }
    DeviceId id;
    try {
      id = registry.register(signedRegistration);
    } catch (RegistrationException e) {
      if (e.getMessage() == null || e.getMessage().isBlank() || e.getMessage().contains("\n")) {
        throw new AssertionError("a refusal that is not one line: " + e.getMessage());
      }
      STATS.run(verified.isValid() ? "refused-valid-signature" : "refused-invalid");
      return;
    }
    if (!verified.isValid()) {
      throw new AssertionError("registered what verify finds invalid: " + verified.error().get());
    }
    Registration reg = verified.registration().orElseThrow();
    DeviceRecord stored = store.devices().device(id.toString()).orElseThrow(() -> new AssertionError("registered but not stored: " + id));
    if (!stored.owner().equals(verified.owner().orElseThrow().toString()) || stored.kind() != reg.getKindValue()) {
      throw new AssertionError("stored " + stored + " for " + reg);
    }
    if (reg.hasLocation() && (stored.latitude() == null || stored.latitude() != reg.getLocation().getLatitude())) {
      throw new AssertionError("stored latitude " + stored.latitude() + " for " + reg.getLocation());
    }
    STATS.run("registered");
  }

  /** A SignedRegistration of the key's type and public key followed by {@code body}, signed by the key. */
  private static byte[] sign(SoftwareSigner key, byte[] body) {
    byte[] reg = FuzzSupport.concat(Registration.newBuilder().setKeyTypeValue(key.keyType().wireValue())
        .setPublicKey(ByteString.copyFrom(key.publicKey())).build().toByteArray(), body);
    return SignedRegistration.newBuilder().setRegistration(ByteString.copyFrom(reg))
        .setSignature(ByteString.copyFrom(key.sign(FuzzSupport.concat(DOMAIN, reg)))).build().toByteArray();
  }
}
