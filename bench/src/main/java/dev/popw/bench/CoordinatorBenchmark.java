package dev.popw.bench;

import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import dev.popw.registration.Registrations;
import dev.popw.transport.Acknowledgement;
import dev.popw.transport.TransportListener;
import dev.popw.transport.coap.CoapTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;

/**
 * Load generator for the coordinator: many simulated devices send pre-signed Ed25519 envelopes
 * over MQTT (to the embedded broker, whose PUBACK means "committed") and over CoAP (whose response
 * carries the committed receipt). Prints the Bouncy Castle ceiling (raw single-core Bouncy Castle
 * verification times the cores) and the native ceiling (the coordinator's AWS-LC engine, likewise),
 * accepted-and-persisted msgs/s, their ratios to both, the load average, and p50/p99 from sending
 * to the acknowledgement.
 *
 * <p>Usage: {@code bench/run coordinator [--envelopes N] [--warmup N] [--warmup-rounds N] [--devices N] [--postgres JDBC_URL|none] [--transports mqtt,coap]
 * [--batch N] [--signatures auto|native|bouncycastle]}.
 * The load generator runs on the same machine and shares its cores with the coordinator.
 */
public final class CoordinatorBenchmark {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

  private CoordinatorBenchmark() {}

  public static void main(String[] args) throws Exception {
    int envelopes = 150_000;
    int devices = 200;
    String postgres = "jdbc:postgresql://127.0.0.1:5432/test";
    List<String> transports = List.of("mqtt-lean", "coap-lean");
    BenchArgs.pairsOrExit(args, 0, "usage: CoordinatorBenchmark [--envelopes N] [--devices N] [--postgres JDBC_URL|none] [--transports mqtt,coap]"
              + " [--batch N] [--warmup N] [--warmup-rounds N] [--signatures auto|native|bouncycastle]");
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--envelopes" -> envelopes = Integer.parseInt(args[i + 1]);
        case "--devices" -> devices = Integer.parseInt(args[i + 1]);
        case "--postgres" -> postgres = args[i + 1];
        case "--transports" -> transports = List.of(args[i + 1].split(","));
        case "--batch" -> batch = Integer.parseInt(args[i + 1]);
        case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
        case "--warmup-rounds" -> warmupRounds = Integer.parseInt(args[i + 1]);
        case "--signatures" -> System.setProperty(dev.popw.coordinator.signatures.Signatures.PROPERTY, args[i + 1]);
        default -> {
          System.err.println("usage: CoordinatorBenchmark [--envelopes N] [--devices N] [--postgres JDBC_URL|none] [--transports mqtt,coap]"
              + " [--batch N] [--warmup N] [--warmup-rounds N] [--signatures auto|native|bouncycastle]");
          System.exit(2);
        }
      }
    }
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.printf("machine: %d cpus, java %s, load average %s%n", cores, System.getProperty("java.version"), loadAverage());
    double perCore = ed25519VerifyRate();
    double bcCeiling = perCore * cores;
    System.out.printf("Bouncy Castle ceiling: raw Ed25519 verify %,.0f/s on one core x %d cores = %,.0f/s%n", perCore, cores, bcCeiling);
    double nativePerCore = nativeEd25519VerifyRate();
    double ceiling = nativePerCore > 0 ? nativePerCore * cores : bcCeiling;
    if (nativePerCore > 0) {
      System.out.printf("native ceiling: AWS-LC (ACCP) Ed25519 verify %,.0f/s on one core x %d cores = %,.0f/s (%.2fx Bouncy Castle)%n",
          nativePerCore, cores, ceiling, nativePerCore / perCore);
    } else {
      System.out.println("native ceiling: the native library is not usable here; ratios below are to the Bouncy Castle ceiling");
    }
    bouncyCastleCeiling = bcCeiling;

    List<SoftwareSigner> signers = new ArrayList<>();
    for (int d = 0; d < devices; d++) {
      signers.add(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()));
    }
    for (String db : List.of("embedded", "postgresql")) {
      if (db.equals("postgresql") && (postgres.equals("none") || !reachable(postgres))) {
        System.out.printf("%npostgresql: skipped (%s not reachable)%n", postgres);
        continue;
      }
      for (String transport : transports) {
        run(db, transport, signers, envelopes, ceiling, postgres, batch);
      }
    }
  }

  private static int batch = 10_000;
  private static double bouncyCastleCeiling;

  /** The 1, 5 and 15 minute load averages (the machine is shared: figures are noisy). */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
  }
  /** Envelopes per warm-up round. */
  private static int warmup = 50_000;
  /** Warm-up rounds at most; warming up stops earlier once the JIT compiler is nearly idle. */
  private static int warmupRounds = 12;
  /** "Nearly idle": JIT compile time in a round below this share of the round's wall time. */
  private static final double JIT_QUIET = 0.05;

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static final AtomicLong LAST_TOKEN_MS = new AtomicLong();

  /**
   * A connect token's time: now, and strictly later than the last one. The broker accepts a
   * principal's token only if it is newer than the last it accepted, and all the generator's
   * clients connect as the coordinator, several within one millisecond.
   */
  private static long tokenTime() {
    return LAST_TOKEN_MS.updateAndGet(last -> Math.max(last + 1, System.currentTimeMillis()));
  }

  /** The key of the coordinator under test, whose connect tokens the load generator's MQTT clients use. */
  private static SoftwareSigner coordinatorKey;

  private static void run(String db, String transport, List<SoftwareSigner> signers, int measuredCount, double ceiling, String pgUrl, int batchSize) throws Exception {
    int total = warmup * warmupRounds + measuredCount;
    Path dir = Files.createTempDirectory("popw-bench-coordinator");
    String schema = "popw_bench_" + System.nanoTime();
    CoordinatorSettings s = CoordinatorSettings.defaults().withNetwork("popw-bench").withDataDirectory(dir)
        .withEmbeddedMqtt(transport.startsWith("mqtt") ? 0 : -1).withCoap("127.0.0.1", transport.startsWith("coap") ? 0 : -1, -1, Map.of())
        .withApiPort(-1).withBatch(batchSize, Duration.ofSeconds(60))
        // every simulated device sends from 127.0.0.1: no per-source CoAP rate limit
        .toBuilder().limits(dev.popw.coordinator.LimitSettings.defaults().withCoapRate(0, 1)).build();
    if (db.equals("postgresql")) {
      s = s.withPostgres(pgUrl, "postgres", "", schema);
    }
    // The load generator's MQTT clients publish for many devices, so they connect as the coordinator
    // itself (a connect token signed by its key), the one principal the embedded broker lets do that.
    coordinatorKey = dev.popw.coordinator.CoordinatorKey.loadOrCreate(s.receiptKeyFile());
    try (Coordinator c = Coordinator.start(s)) {
      for (SoftwareSigner signer : signers) {
        c.registry().register(Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-bench", Clock.systemUTC()));
      }
      // Pre-sign: envelope i belongs to device i % devices, sequences in order per device.
      List<EnvelopeSealer> sealers = new ArrayList<>();
      for (SoftwareSigner signer : signers) {
        AtomicInteger seq = new AtomicInteger(1);
        sealers.add(EnvelopeSealer.builder().signer(signer).sequence(() -> seq.getAndIncrement()).networkId("popw-bench").build());
      }
      byte[][] envelopes = new byte[total][];
      String[] topics = new String[total];
      IntStream.range(0, signers.size()).parallel().forEach(d -> {
        for (int i = d; i < total; i += signers.size()) {
          envelopes[i] = sealers.get(d).seal(reading(i)).bytes();
          topics[i] = "popw/v1/devices/" + signers.get(d).deviceId() + "/telemetry";
        }
      });
      // Warm-up through the same transport (JIT, caches, database pages) in rounds, until the JIT
      // compiler is nearly idle: a coordinator runs for days, and its first seconds of compiling
      // are not what an operator sees. Then the measured run, on the envelopes that follow.
      int measured = measuredCount;
      int used = 0;
      int rounds = 0;
      double jitShare = 1;
      java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
      while (rounds < warmupRounds && warmup > 0 && jitShare >= JIT_QUIET) {
        long jitBefore = jit.getTotalCompilationTime();
        long wallBefore = System.nanoTime();
        drive(transport, c, signers, envelopes, topics, used, used + warmup, coordinatorKey);
        jitShare = (jit.getTotalCompilationTime() - jitBefore) / ((System.nanoTime() - wallBefore) / 1e6);
        used += warmup;
        rounds++;
      }
      int from = used;
      // The load generator's own data (hundreds of MB of pre-signed envelopes) must not burden the
      // coordinator's garbage collector: what was sent is dropped, and collected before the clock.
      Arrays.fill(envelopes, 0, used, null);
      Arrays.fill(topics, 0, used, null);
      System.gc();
      long acceptedBefore = c.pipeline().outcomeCounts().getOrDefault("ACCEPTED", 0L);
      CpuProfile cpu = CpuProfile.start();
      long processCpu0 = processCpu();
      Drive d = drive(transport, c, signers, envelopes, topics, from, from + measured, coordinatorKey);
      long ingestCpu = processCpu() - processCpu0;
      String cpuReport = cpu.report(measured);
      System.gc();
      Runtime rt = Runtime.getRuntime();
      long liveHeap = rt.totalMemory() - rt.freeMemory();
      long[] latency = d.latency;
      long elapsed = d.elapsed;
      long accepted = c.pipeline().outcomeCounts().getOrDefault("ACCEPTED", 0L) - acceptedBefore;
      long failed = Arrays.stream(latency).filter(l -> l < 0).count();
      long[] ok = Arrays.stream(latency).filter(l -> l > 0).sorted().toArray();
      double rate = accepted / (elapsed / 1e9);
      System.out.printf("%n%s + %s database: %,d envelopes from %d devices (after a warm-up of %,d in %d rounds; JIT compiling %.1f%% of the last)%n",
          transport, db, measured, signers.size(), used, rounds, jitShare * 100);
      System.out.printf("  signatures: %s; load average after the run %s%n", c.signaturePath(), loadAverage());
      System.out.printf("  accepted and persisted: %,d in %.2f s = %,.0f msgs/s (ratio to native ceiling %.2f, to Bouncy Castle ceiling %.2f)%n",
          accepted, elapsed / 1e9, rate, rate / ceiling, rate / bouncyCastleCeiling);
      System.out.printf("  ingest -> acknowledgement: p50 %.1f ms, p99 %.1f ms (%d failed)%n",
          ok.length == 0 ? 0 : ok[ok.length / 2] / 1e6, ok.length == 0 ? 0 : ok[(int) (ok.length * 0.99)] / 1e6, failed);
      System.out.print(cpuReport);
      System.out.printf("  heap in use after the run and a full GC: %,d MB (the load generator's envelopes included)%n", liveHeap >> 20);
      // Work validation: close the epoch that holds every envelope of the run (warm-up included),
      // as the coordinator does once a day, and compare its CPU per envelope with ingest's.
      Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(2));
      dev.popw.coordinator.epoch.EpochManager epochs = new dev.popw.coordinator.epoch.EpochManager(c.store().verdicts(),
          dev.popw.coordinator.epoch.DefaultValidators.of(s.sensorRules()), s.epochs(), later);
      long closeCpu0 = processCpu();
      long verdicts = epochs.tick().stream().mapToLong(dev.popw.coordinator.store.EpochRecord::envelopes).sum();
      double closeUs = (processCpu() - closeCpu0) / 1e3 / Math.max(1, verdicts);
      double ingestUs = ingestCpu / 1e3 / Math.max(1, accepted);
      System.out.printf("  epoch close (validation): %,d verdicts, CPU %.1f us per envelope; ingest CPU %.1f us per envelope"
          + " (load generator included); validation's share %.1f%%%n", verdicts, closeUs, ingestUs, 100 * closeUs / (closeUs + ingestUs));
    } finally {
      try (Stream<Path> w = Files.walk(dir)) {
        w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
      if (db.equals("postgresql")) {
        try (Connection conn = DriverManager.getConnection(pgUrl, "postgres", ""); Statement st = conn.createStatement()) {
          st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
      }
    }
  }

  private record Drive(long[] latency, long elapsed) {}

  /** Sends envelopes [from, to) over one transport and waits for every acknowledgement. */
  private static Drive drive(String transport, Coordinator c, List<SoftwareSigner> signers, byte[][] envelopes, String[] topics,
      int from, int to, SoftwareSigner coordinatorKey) throws Exception {
    long[] latency = new long[to];
    int count = to - from;
    long start;
    long elapsed;
    if (transport.equals("direct")) {
      // No transport: the pipeline alone (verification, checks, storage), 2,048 in flight.
      Semaphore window = new Semaphore(2048);
      CountDownLatch done = new CountDownLatch(count);
      start = System.nanoTime();
      for (int i = from; i < to; i++) {
        window.acquire();
        int idx = i;
        long sent = System.nanoTime();
        c.pipeline().submit(envelopes[i], null).whenComplete((r, e) -> {
          latency[idx] = e == null ? System.nanoTime() - sent : -1;
          window.release();
          done.countDown();
        });
      }
      done.await(10, TimeUnit.MINUTES);
      elapsed = System.nanoTime() - start;
    } else if (transport.equals("mqtt-lean")) {
      // The same load over MQTT with minimal publishers instead of Paho clients (see LeanMqttPublisher).
      int clients = 8;
      CountDownLatch done = new CountDownLatch(count);
      long[] sentAt = new long[to];
      List<LeanMqttPublisher> conns = new ArrayList<>();
      for (int k = 0; k < clients; k++) {
        conns.add(new LeanMqttPublisher("127.0.0.1", c.mqttPort(), "lean-" + k, coordinatorKey.deviceId().toString(),
            dev.popw.transport.mqtt.ConnectToken.password(coordinatorKey, "popw-bench", "lean-" + k, tokenTime()), 256, idx -> {
          if (idx < 0) {
            latency[-1 - idx] = -1;
          } else {
            latency[idx] = System.nanoTime() - sentAt[idx];
          }
          done.countDown();
        }));
      }
      byte[][] topicBytes = new byte[to][];
      for (int i = from; i < to; i++) {
        topicBytes[i] = topics[i].getBytes(java.nio.charset.StandardCharsets.UTF_8);
      }
      start = System.nanoTime();
      sendFromThreads(clients, from, to, sentAt, (k, i) -> conns.get(k).publish(topicBytes[i], envelopes[i], i));
      done.await(10, TimeUnit.MINUTES);
      elapsed = System.nanoTime() - start;
      for (LeanMqttPublisher p : conns) {
        p.close();
      }
    } else if (transport.equals("coap-lean")) {
      // The same load over CoAP with minimal clients instead of Californium's (see LeanCoapClient).
      int clients = 8;
      CountDownLatch done = new CountDownLatch(count);
      long[] sentAt = new long[to];
      List<LeanCoapClient> conns = new ArrayList<>();
      for (int k = 0; k < clients; k++) {
        conns.add(new LeanCoapClient(new java.net.InetSocketAddress("127.0.0.1", c.coapPort()), 256, idx -> {
          if (idx < 0) {
            latency[-1 - idx] = -1;
          } else {
            latency[idx] = System.nanoTime() - sentAt[idx];
          }
          done.countDown();
        }));
      }
      start = System.nanoTime();
      sendFromThreads(clients, from, to, sentAt, (k, i) -> conns.get(k).post(envelopes[i], i));
      if (!done.await(3, TimeUnit.MINUTES)) {
        System.out.printf("  coap-lean: %d responses missing (datagrams lost; this client does not retransmit)%n", done.getCount());
      }
      elapsed = System.nanoTime() - start;
      conns.forEach(LeanCoapClient::close);
    } else if (transport.equals("mqtt")) {
      int clients = 8;
      List<MqttAsyncClient> conns = new ArrayList<>();
      for (int k = 0; k < clients; k++) {
        MqttAsyncClient m = new MqttAsyncClient("tcp://127.0.0.1:" + c.mqttPort(), "bench-" + k, new MemoryPersistence());
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setUserName(coordinatorKey.deviceId().toString());
        o.setPassword(dev.popw.transport.mqtt.ConnectToken.password(coordinatorKey, "popw-bench", "bench-" + k, tokenTime())
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        m.connect(o).waitForCompletion(10_000);
        conns.add(m);
      }
      Semaphore[] windows = new Semaphore[clients];
      Arrays.setAll(windows, k -> new Semaphore(256));
      CountDownLatch done = new CountDownLatch(count);
      start = System.nanoTime();
      for (int i = from; i < to; i++) {
        int k = i % clients;
        windows[k].acquire();
        MqttMessage msg = new MqttMessage(envelopes[i]);
        msg.setQos(1);
        int idx = i;
        long sent = System.nanoTime();
        conns.get(k).publish(topics[i], msg, null, new MqttActionListener() {
          @Override
          public void onSuccess(IMqttToken token) {
            latency[idx] = System.nanoTime() - sent;
            windows[k].release();
            done.countDown();
          }

          @Override
          public void onFailure(IMqttToken token, Throwable e) {
            latency[idx] = -1;
            windows[k].release();
            done.countDown();
          }
        });
      }
      done.await(10, TimeUnit.MINUTES);
      elapsed = System.nanoTime() - start;
      for (MqttAsyncClient m : conns) {
        try {
          m.disconnect().waitForCompletion(2_000);
          m.close();
        } catch (MqttException e) {
          // closing
        }
      }
    } else {
      // One sdk-core CoapTransport (Californium) per device: a transport accepts only receipts for
      // its own device (a receipt naming another device is ignored as WRONG_DEVICE), as on a real
      // device. 16 in flight each.
      int clients = signers.size();
      List<CoapTransport> conns = new ArrayList<>();
      for (int k = 0; k < clients; k++) {
        CoapTransport t = CoapTransport.builder().uri("coap://127.0.0.1:" + c.coapPort() + "/v1/telemetry").inFlightWindow(16).build();
        t.start(signers.get(k).deviceId(), dev.popw.receipt.ReceiptTrust.pinned(c.receiptKey()), TransportListener.NONE);
        conns.add(t);
      }
      Semaphore[] windows = new Semaphore[clients];
      Arrays.setAll(windows, k -> new Semaphore(16));
      CountDownLatch done = new CountDownLatch(count);
      byte[] noHash = new byte[32];
      start = System.nanoTime();
      for (int i = from; i < to; i++) {
        int k = i % clients; // envelope i belongs to device i % devices
        windows[k].acquire();
        int idx = i;
        long sent = System.nanoTime();
        CompletableFuture<Acknowledgement> f = conns.get(k).send(envelopes[i], noHash);
        f.whenComplete((a, e) -> {
          latency[idx] = e == null ? System.nanoTime() - sent : -1;
          windows[k].release();
          done.countDown();
        });
      }
      if (!done.await(5, TimeUnit.MINUTES)) {
        System.out.printf("  coap: %d acknowledgements missing after 5 minutes%n", done.getCount());
      }
      elapsed = System.nanoTime() - start;
      conns.forEach(CoapTransport::close);
    }
    return new Drive(Arrays.copyOfRange(latency, from, to), elapsed);
  }

  /** Sends envelope i from client i % clients, one thread per client, stamping the send time. */
  private interface IndexedSend {
    void send(int client, int index) throws Exception;
  }

  private static void sendFromThreads(int clients, int from, int to, long[] sentAt, IndexedSend send) {
    for (int k = 0; k < clients; k++) {
      int kk = k;
      new Thread(() -> {
        try {
          for (int i = from + kk; i < to; i += clients) {
            sentAt[i] = System.nanoTime();
            send.send(kk, i);
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, "bench-sender-" + k).start();
    }
  }

  private static SensorReading reading(int i) {
    return SensorReading.newBuilder()
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(15 + (i % 100) / 10.0).setUnit(Unit.CELSIUS))
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.RELATIVE_HUMIDITY).setValue(40 + i % 20).setUnit(Unit.PERCENT))
        .build();
  }

  /** Single-thread raw Bouncy Castle Ed25519 verifications per second, decoded key (as the verifier caches it). */
  private static double ed25519VerifyRate() {
    SoftwareSigner s = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    byte[] msg = new byte[200];
    byte[] sig = s.sign(msg);
    Ed25519.PublicPoint point = Ed25519.validatePublicKeyPartialExport(s.publicKey(), 0);
    boolean all = true;
    for (int i = 0; i < 20_000; i++) { // warm-up
      all &= Ed25519.verify(sig, 0, point, msg, 0, msg.length);
    }
    int n = 0;
    long start = System.nanoTime();
    while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3)) {
      all &= Ed25519.verify(sig, 0, point, msg, 0, msg.length);
      n++;
    }
    if (!all) {
      throw new IllegalStateException("verification failed");
    }
    return n / ((System.nanoTime() - start) / 1e9);
  }

  /** Single-thread Ed25519 verifications per second on the coordinator's native engine (JCA call included); 0 if it does not load. */
  private static double nativeEd25519VerifyRate() throws Exception {
    dev.popw.coordinator.signatures.NativeSignatureEngine.Loaded l = dev.popw.coordinator.signatures.NativeSignatureEngine.load();
    if (l.engine() == null) {
      System.out.println("native engine: " + l.problem());
      return 0;
    }
    SoftwareSigner s = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    byte[] msg = new byte[200];
    byte[] sig = s.sign(msg);
    Object key = l.engine().prepare(KeyType.ED25519, s.publicKey());
    boolean all = true;
    for (int i = 0; i < 20_000; i++) {
      all &= l.engine().verify(KeyType.ED25519, key, msg, 0, msg.length, sig);
    }
    int n = 0;
    long start = System.nanoTime();
    while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3)) {
      all &= l.engine().verify(KeyType.ED25519, key, msg, 0, msg.length, sig);
      n++;
    }
    if (!all) {
      throw new IllegalStateException("verification failed");
    }
    return n / ((System.nanoTime() - start) / 1e9);
  }

  private static boolean reachable(String url) {
    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      return c.isValid(2);
    } catch (Exception e) {
      return false;
    }
  }
}
