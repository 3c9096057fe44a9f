package dev.popw.bench;

import dev.popw.coordinator.epoch.EpochManager;
import dev.popw.coordinator.epoch.EpochSchedule;
import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.ingest.IngestResult;
import dev.popw.coordinator.ingest.PipelineConfig;
import dev.popw.coordinator.registry.DeviceRegistry;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.EpochRecord;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.store.VerdictStore;
import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.EpochEvidence;
import dev.popw.coordinator.validation.Evidence;
import dev.popw.coordinator.validation.RegisteredDevice;
import dev.popw.coordinator.validation.Validators;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.VerdictSink;
import dev.popw.coordinator.validation.WorkKind;
import dev.popw.coordinator.validation.sensor.SensorRules;
import dev.popw.coordinator.validation.sensor.SensorValidator;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Telemetry;
import dev.popw.proto.v1.Unit;
import dev.popw.registration.Registrations;
import dev.popw.sequence.SequenceCounter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * What work validation costs. A network of weather stations in clustered cities (diurnal
 * temperature, humidity and pressure with noise; 1 % spikes, 2 % stuck stations, 2 % outlying
 * stations) sends one day of readings, every {@code --interval} minutes:
 *
 * <ol>
 *   <li>the sensor validator alone, in memory, one thread: microseconds per envelope;
 *   <li>the same envelopes signed and ingested through the coordinator's pipeline into the
 *       embedded database, then the epoch closed (read from the database, parse, validate, write
 *       verdicts and summaries): CPU per envelope of each, from the process CPU time, and the share
 *       of validation in the total.
 * </ol>
 *
 * <p>Usage: {@code bench/run validation [--stations N] [--interval MINUTES] [--rounds N] [--keep DIR]}.
 */
public final class ValidationBenchmark {
  private static final long DAY = 86_400_000;
  private static final Instant EPOCH_START = Instant.parse("2026-11-24T00:00:00Z");

  private ValidationBenchmark() {}

  record Station(String name, double lat, double lon, int fault) {} // fault 0 none, 1 stuck, 2 outlier

  public static void main(String[] args) throws Exception {
    int stations = 1000;
    int interval = 10;
    int rounds = 5;
    Path keep = null;
    BenchArgs.pairsOrExit(args, 0, "usage: ValidationBenchmark [--stations N] [--interval MINUTES] [--rounds N] [--keep DIR]");
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--stations" -> stations = Integer.parseInt(args[i + 1]);
        case "--interval" -> interval = Integer.parseInt(args[i + 1]);
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        case "--keep" -> keep = Path.of(args[i + 1]);
        default -> {
          System.err.println("usage: ValidationBenchmark [--stations N] [--interval MINUTES] [--rounds N] [--keep DIR]");
          System.exit(2);
        }
      }
    }
    if (args.length % 2 == 1) {
      System.err.println("usage: ValidationBenchmark [--stations N] [--interval MINUTES] [--rounds N] [--keep DIR]");
      System.exit(2);
    }
    Random r = new Random(7);
    List<Station> net = network(stations, r);
    int perStation = (int) (DAY / (interval * 60_000L));
    System.out.printf("%,d stations, %,d readings each (every %d min), %,d envelopes; %s, %d cores%n", stations, perStation, interval,
        (long) stations * perStation, System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors());

    // 1. The validator alone.
    List<Evidence> evidence = new ArrayList<>();
    List<RegisteredDevice> devices = new ArrayList<>();
    for (Station s : net) {
      devices.add(new RegisteredDevice(s.name(), 1, s.lat(), s.lon()));
      for (int k = 0; k < perStation; k++) {
        long t = EPOCH_START.toEpochMilli() + k * interval * 60_000L;
        Telemetry tel = Telemetry.newBuilder().setSequence(k + 1).setTimestampMs(t).setSensor(reading(s, k, t, r)).build();
        byte[] hash = new byte[32];
        r.nextBytes(hash);
        evidence.add(new Evidence(hash, s.name(), k + 1, t, t + 500, 0, WorkKind.SENSOR, tel));
      }
    }
    SensorValidator validator = new SensorValidator(SensorRules.defaults().withTiming(Duration.ofMinutes(Math.max(5, interval)),
        Duration.ofHours(4), Duration.ofMinutes(interval)));
    InMemory view = new InMemory(EPOCH_START.toEpochMilli(), devices, evidence);
    double best = Double.MAX_VALUE;
    long invalid = 0;
    for (int round = 0; round < rounds; round++) {
      long[] counts = new long[2];
      long t0 = System.nanoTime();
      validator.validate(view, new VerdictSink() {
        @Override
        public void verdict(Verdict v) {
          counts[v.isValid() ? 0 : 1]++;
        }

        @Override
        public void summary(DeviceEpochSummary s) {}
      });
      double us = (System.nanoTime() - t0) / 1e3 / evidence.size();
      best = Math.min(best, us);
      invalid = counts[1];
      System.out.printf("  round %d: sensor validator alone %.2f us per envelope (%,d invalid)%n", round + 1, us, counts[1]);
    }
    System.out.printf("sensor validator alone, one thread: %.2f us per envelope (best of %d rounds); %,d of %,d invalid%n", best, rounds,
        invalid, evidence.size());

    // 2. Through the coordinator: ingest, then close the epoch.
    evidence = null;
    view = null;
    System.gc();
    Path dir = keep != null ? Files.createDirectories(keep) : Files.createTempDirectory("popw-validation-bench");
    try (Database db = Database.embedded(dir.resolve("coordinator"))) {
      MutableClock clock = new MutableClock(EPOCH_START);
      Store store = new Store(db);
      IngestPipeline pipeline = new IngestPipeline(store, PipelineConfig.builder("popw-bench").build(), clock);
      DeviceRegistry registry = new DeviceRegistry(store, pipeline, "popw-bench", clock, Duration.ofMinutes(10));
      EvmAddress owner = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
      List<EnvelopeSealer> sealers = new ArrayList<>();
      MutableClock deviceClock = new MutableClock(EPOCH_START);
      SecureRandom sr = new SecureRandom();
      Map<String, String> ids = new TreeMap<>();
      for (Station s : net) {
        SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, sr);
        registry.register(Registrations.sign(signer, owner, DeviceKind.SENSOR,
            Location.newBuilder().setLatitude(s.lat()).setLongitude(s.lon()).build(), "popw-bench", clock));
        long[] next = {1};
        sealers.add(EnvelopeSealer.builder().signer(signer).clock(deviceClock).networkId("popw-bench").sequence(new SequenceCounter() {
          @Override
          public long next() {
            return next[0]++;
          }
        }).build());
        ids.put(s.name(), signer.deviceId().toString());
      }
      System.out.printf("signing %,d envelopes ...%n", (long) net.size() * perStation);
      List<byte[]> envelopes = new ArrayList<>();
      List<Long> times = new ArrayList<>();
      Random r2 = new Random(7);
      for (int k = 0; k < perStation; k++) {
        long t = EPOCH_START.toEpochMilli() + k * interval * 60_000L;
        deviceClock.set(Instant.ofEpochMilli(t));
        for (int i = 0; i < net.size(); i++) {
          envelopes.add(sealers.get(i).seal(reading(net.get(i), k, t, r2)).bytes());
          times.add(t + 500);
        }
      }
      long cpu0 = cpu();
      long wall0 = System.nanoTime();
      List<CompletableFuture<IngestResult>> inflight = new ArrayList<>();
      long accepted = 0;
      for (int i = 0; i < envelopes.size(); i++) {
        clock.set(Instant.ofEpochMilli(times.get(i)));
        inflight.add(pipeline.submit(envelopes.get(i), null));
        if (inflight.size() == 4000) {
          for (var f : inflight) {
            accepted += f.join().accepted() ? 1 : 0;
          }
          inflight.clear();
        }
      }
      for (var f : inflight) {
        accepted += f.join().accepted() ? 1 : 0;
      }
      double ingestWall = (System.nanoTime() - wall0) / 1e9;
      envelopes = null;
      Thread.sleep(5_000); // the database's background writer finishes what ingest left it: ingest's cost
      System.gc();
      long ingestCpu = cpu() - cpu0;
      System.out.printf("ingest: %,d accepted in %.1f s (%,.0f/s), CPU %.1f us per envelope%n", accepted, ingestWall, accepted / ingestWall,
          ingestCpu / 1e3 / accepted);
      EpochSchedule schedule = new EpochSchedule(Duration.ofDays(1), Duration.ofSeconds(60));
      EpochManager epochs = new EpochManager(store.verdicts(), dev.popw.coordinator.epoch.DefaultValidators.of(validator.rules()), schedule, clock);
      clock.set(Instant.ofEpochMilli(schedule.closesAt(schedule.epochOf(EPOCH_START.toEpochMilli()))));
      long c0 = cpu();
      long w0 = System.nanoTime();
      List<EpochRecord> closed = epochs.tick();
      long closeCpu = cpu() - c0;
      double closeWall = (System.nanoTime() - w0) / 1e9;
      EpochRecord rec = closed.get(0);
      // Once more, from the stored evidence (what an audit does): the JIT has seen the database path once.
      epochs.reopen(rec.epoch());
      long c1 = cpu();
      long w1 = System.nanoTime();
      epochs.tick();
      System.out.printf("epoch closed again from the stored evidence: %.1f s, CPU %.1f us per envelope%n", (System.nanoTime() - w1) / 1e9,
          (cpu() - c1) / 1e3 / rec.envelopes());
      System.out.printf("epoch close: %,d verdicts (%,d invalid) in %.1f s, CPU %.1f us per envelope (database read, parse, validate,"
          + " write)%n", rec.envelopes(), rec.invalid(), closeWall, closeCpu / 1e3 / rec.envelopes());
      System.out.printf("validation's share of the coordinator's CPU for these envelopes: %.1f %% (close %.1f / (ingest %.1f + close %.1f)"
          + " us per envelope)%n", 100.0 * closeCpu / (ingestCpu + closeCpu), closeCpu / 1e3 / rec.envelopes(), ingestCpu / 1e3 / accepted,
          closeCpu / 1e3 / rec.envelopes());
      pipeline.close();
    } finally {
      if (keep != null) {
        System.out.println("database kept in " + keep);
      } else {
        try (var w = Files.walk(dir)) {
          w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  private static long cpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** 60 % of stations in 10 cities (within ~15 km), the rest spread over a 600 × 600 km area. */
  static List<Station> network(int n, Random r) {
    double[][] cities = new double[10][];
    for (int c = 0; c < cities.length; c++) {
      cities[c] = new double[] {48 + r.nextDouble() * 5, 6 + r.nextDouble() * 8};
    }
    List<Station> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double lat;
      double lon;
      if (r.nextDouble() < 0.6) {
        double[] c = cities[r.nextInt(cities.length)];
        lat = c[0] + r.nextGaussian() * 0.07;
        lon = c[1] + r.nextGaussian() * 0.1;
      } else {
        lat = 48 + r.nextDouble() * 5;
        lon = 6 + r.nextDouble() * 8;
      }
      double f = r.nextDouble();
      out.add(new Station(String.format("station-%05d", i), lat, lon, f < 0.02 ? 1 : f < 0.04 ? 2 : 0));
    }
    return out;
  }

  static SensorReading reading(Station s, int k, long t, Random r) {
    double hour = ((t / 3_600_000.0) % 24);
    double diurnal = Math.sin((hour - 9) / 24 * 2 * Math.PI);
    double temp = 8 + 5 * diurnal - (s.lat() - 48) * 0.6 + r.nextGaussian() * 0.1;
    if (s.fault() == 1) {
      temp = 12.5;
    } else if (s.fault() == 2) {
      temp += 12;
    } else if (r.nextDouble() < 0.01) {
      temp += 10;
    }
    return SensorReading.newBuilder()
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(Math.round(temp * 100) / 100.0).setUnit(Unit.CELSIUS))
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.RELATIVE_HUMIDITY).setValue(70 - 15 * diurnal + r.nextGaussian())
            .setUnit(Unit.PERCENT))
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.PRESSURE).setValue(101_300 + r.nextGaussian() * 20).setUnit(Unit.PASCAL))
        .build();
  }

  /** The evidence view over a list, as the coordinator's store serves it (devices by id, then sequence). */
  static final class InMemory implements EpochEvidence {
    final long start;
    final List<RegisteredDevice> devices;
    final Map<String, List<Evidence>> byDevice = new TreeMap<>();

    InMemory(long start, List<RegisteredDevice> devices, List<Evidence> evidence) {
      this.start = start;
      this.devices = devices.stream().sorted(Comparator.comparing(RegisteredDevice::deviceId)).toList();
      for (Evidence e : evidence) {
        byDevice.computeIfAbsent(e.deviceId(), k -> new ArrayList<>()).add(e);
      }
    }

    @Override
    public long epoch() {
      return start / DAY;
    }

    @Override
    public long startMs() {
      return start;
    }

    @Override
    public long endMs() {
      return start + DAY;
    }

    @Override
    public Optional<RegisteredDevice> device(String id) {
      return devices.stream().filter(d -> d.deviceId().equals(id)).findFirst();
    }

    @Override
    public List<RegisteredDevice> devices(WorkKind kind) {
      return devices;
    }

    @Override
    public void forEachDevice(WorkKind kind, BiConsumer<RegisteredDevice, List<Evidence>> action) {
      for (RegisteredDevice d : devices) {
        action.accept(d, byDevice.getOrDefault(d.deviceId(), List.of()));
      }
    }
  }

  /** A clock the benchmark sets: receipt times are the readings' times, as a live network's would be. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant start) {
      now = start;
    }

    void set(Instant t) {
      now = t;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
