package dev.popw.bench;

import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.ingest.IngestResult;
import dev.popw.coordinator.ingest.IngestStatus;
import dev.popw.coordinator.ingest.PipelineConfig;
import dev.popw.coordinator.store.AcceptedEnvelope;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.EnvelopeStore;
import dev.popw.coordinator.store.Store;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jol.info.GraphLayout;

/**
 * Heap the verification pipeline holds per device (docs/benchmarks.md, "Per-device memory").
 * Devices are written into an embedded database directly; then
 *
 * <ol>
 *   <li>{@code --full N} devices with a full duplicate window: 1,100 accepted envelopes each
 *       (written as rows), then one signed envelope each through the pipeline, which reads the
 *       device's state back from the database;
 *   <li>{@code --devices N} devices with one signed envelope each.
 * </ol>
 *
 * After each, the pipeline's device map is measured with JOL (the deep size of everything it
 * reaches, divided by the devices in it), and the whole heap is measured before and after the
 * pipeline is closed and dropped (Runtime used memory after GC; the store and its database caches
 * stay, so the difference is what the pipeline held). The store's cache of device numbers, which
 * outlives an evicted state, is measured with JOL too. The JOL figure is skipped where the state
 * class reaches the pipeline (an inner class: the code before the bound).
 *
 * <p>Usage: {@code bench/run memory [--devices N] [--full N]}.
 */
public final class DeviceMemoryBenchmark {
  private static final String NETWORK = "popw-bench";
  private static final SensorReading READING = SensorReading.newBuilder()
      .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(15).setUnit(Unit.CELSIUS)).build();

  private DeviceMemoryBenchmark() {}

  public static void main(String[] args) throws Exception {
    int devices = 100_000;
    int full = 200;
    BenchArgs.pairsOrExit(args, 0, "usage: DeviceMemoryBenchmark [--devices N] [--full N]");
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--devices" -> devices = Integer.parseInt(args[i + 1]);
        case "--full" -> full = Integer.parseInt(args[i + 1]);
        default -> {
          System.err.println("usage: DeviceMemoryBenchmark [--devices N] [--full N]");
          System.exit(2);
        }
      }
    }
    Path dir = Files.createTempDirectory("popw-memory");
    System.out.printf("Per-device memory: %,d devices with a full 1,024-number window, then %,d devices with one envelope%n",
        full, devices);
    try (Database db = Database.embedded(dir.resolve("coordinator"))) {
      Store store = new Store(db);
      List<SoftwareSigner> fullWindow = register(db, full, 0);
      Random random = new Random(1);
      List<AcceptedEnvelope> rows = new ArrayList<>();
      for (SoftwareSigner s : fullWindow) {
        for (long seq = 1; seq <= 1_100; seq++) {
          byte[] hash = new byte[32];
          random.nextBytes(hash);
          rows.add(new AcceptedEnvelope(hash, s.deviceId().toString(), seq, seq, seq, 1, 0, new byte[200]));
          if (rows.size() == 5_000) {
            store.envelopes().persist(rows, List.of());
            rows.clear();
          }
        }
      }
      store.envelopes().persist(rows, List.of());
      measure(store, "full window", fullWindow, 1_101);
      List<SoftwareSigner> many = register(db, devices, full);
      measure(store, "one envelope", many, 1);
    }
  }

  /** Sends one envelope of each device (sequence {@code seq}) through a new pipeline and measures what it holds. */
  private static void measure(Store store, String what, List<SoftwareSigner> signers, long seq) throws Exception {
    long before = usedHeap();
    PipelineConfig.Builder b = PipelineConfig.builder(NETWORK);
    try {
      // no eviction while measuring (the bound itself is what the code before it lacks)
      b.getClass().getMethod("deviceCache", int.class, Duration.class).invoke(b, signers.size() + 1_000, Duration.ofHours(1));
    } catch (NoSuchMethodException e) {
      // the code before the bound
    }
    IngestPipeline pipeline = new IngestPipeline(store, b.build(), Clock.systemUTC());
    List<CompletableFuture<IngestResult>> inFlight = new ArrayList<>();
    long accepted = 0;
    for (SoftwareSigner s : signers) {
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(s).sequence(() -> seq).networkId(NETWORK).build();
      inFlight.add(pipeline.submit(sealer.seal(READING).bytes(), null));
      if (inFlight.size() == 2_000) {
        accepted += join(inFlight);
      }
    }
    accepted += join(inFlight);
    Map<?, ?> states = (Map<?, ?>) field(IngestPipeline.class, "states").get(pipeline);
    int n = states.size();
    String jol = "skipped (the state class reaches the pipeline)";
    if (!reachesPipeline()) {
      jol = String.format("%,d bytes/device", GraphLayout.parseInstance(states).totalSize() / Math.max(1, n));
    }
    long held = usedHeap() - before;
    pipeline.close();
    states = null;
    pipeline = null;
    long released = usedHeap() - before;
    Map<?, ?> numbers = (Map<?, ?>) field(Class.forName("dev.popw.coordinator.store.DeviceNumbers"), "numbers")
        .get(field(EnvelopeStore.class, "deviceNumbers").get(store.envelopes()));
    long numbersBytes = GraphLayout.parseInstance(numbers).totalSize();
    System.out.printf("%-13s %,7d devices (%,d accepted): JOL %s; heap %,d bytes/device held by the pipeline"
        + " (%,d MB with it, %,d MB after closing it); device-number cache %,d bytes/device (%,d entries)%n",
        what, n, accepted, jol, (held - released) / Math.max(1, n), held >> 20, released >> 20, numbersBytes / Math.max(1, numbers.size()),
        numbers.size());
  }

  private static long join(List<CompletableFuture<IngestResult>> inFlight) {
    long accepted = 0;
    for (CompletableFuture<IngestResult> f : inFlight) {
      IngestResult r = f.join();
      if (r.status() != IngestStatus.ACCEPTED) {
        throw new IllegalStateException("not accepted: " + r);
      }
      accepted++;
    }
    inFlight.clear();
    return accepted;
  }

  /** Whether the pipeline's device state is an inner class (holding the pipeline, so JOL would measure all of it). */
  private static boolean reachesPipeline() {
    for (Class<?> c : IngestPipeline.class.getDeclaredClasses()) {
      if (c.getSimpleName().equals("DeviceState")) {
        return !java.lang.reflect.Modifier.isStatic(c.getModifiers());
      }
    }
    return true;
  }

  /** Sensor devices written straight into the devices table, numbered after {@code offset}. */
  private static List<SoftwareSigner> register(Database db, int n, int offset) throws Exception {
    SecureRandom sr = new SecureRandom();
    List<SoftwareSigner> out = new ArrayList<>(n);
    try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO devices (device_id,"
        + " key_type, public_key, owner_address, kind, status, registered_at, registration, device_no)"
        + " VALUES (?,?,?,'0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',1,'ACTIVE',1,?,?)")) {
      c.setAutoCommit(false);
      for (int i = 0; i < n; i++) {
        SoftwareSigner s = SoftwareSigner.generate(KeyType.ED25519, sr);
        out.add(s);
        ps.setString(1, s.deviceId().toString());
        ps.setInt(2, s.keyType().wireValue());
        ps.setBytes(3, s.publicKey());
        ps.setBytes(4, new byte[] {1});
        ps.setInt(5, offset + i + 1);
        ps.addBatch();
        if (i % 5_000 == 4_999) {
          ps.executeBatch();
        }
      }
      ps.executeBatch();
      c.commit();
    }
    return out;
  }

  private static Field field(Class<?> c, String name) throws NoSuchFieldException {
    Field f = c.getDeclaredField(name);
    f.setAccessible(true);
    return f;
  }

  /** Used heap after garbage collection settled. */
  private static long usedHeap() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, rt.totalMemory() - rt.freeMemory());
    }
    return used;
  }
}
