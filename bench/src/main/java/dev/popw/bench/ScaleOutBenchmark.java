package dev.popw.bench;

import dev.popw.coordinator.store.Database;
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
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Several coordinators on one PostgreSQL schema (docs/scale-out.md): N coordinator processes in
 * cluster mode, each its own JVM, take pre-signed Ed25519 envelopes over CoAP from a lean load
 * generator (device d always to node d mod N: the affinity a sticky broker strategy or a load
 * balancer gives). Measures, from /proc, the CPU each node and the PostgreSQL server processes
 * spent in the measured window, and prints per node: envelopes accepted, CPU µs per envelope; the
 * database's CPU per envelope and its share of the cluster's CPU; and what N nodes would give on N
 * machines of this kind (projected: each node alone on its cores, the database on its own).
 *
 * <p>Usage: {@code bench/run coordinator-cluster [--nodes 1,2] [--envelopes N] [--warmup N]
 * [--devices N] [--postgres JDBC_URL]}. Needs PostgreSQL; Linux (/proc).
 */
public final class ScaleOutBenchmark {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  private static final String NETWORK = "popw-bench";
  private static final double TICKS = 100.0; // USER_HZ: /proc times are in 1/100 s on Linux

  private ScaleOutBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<Integer> nodeCounts = List.of(1, 2);
    int envelopes = 60_000;
    int warmup = 30_000;
    int devices = 200;
    String pg = "jdbc:postgresql://127.0.0.1:5432/test";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-h") || a.equals("--help")) {
        System.out.println("usage: bench/run coordinator-cluster [--nodes 1,2] [--envelopes N] [--warmup N] [--devices N] [--postgres JDBC_URL]");
        return;
      }
      if (i + 1 >= args.length) {
        System.err.println("option " + a + " needs a value; --help lists them");
        System.exit(2);
      }
      String v = args[++i];
      switch (a) {
        case "--nodes" -> nodeCounts = java.util.Arrays.stream(v.split(",")).map(Integer::parseInt).toList();
        case "--envelopes" -> envelopes = Integer.parseInt(v);
        case "--warmup" -> warmup = Integer.parseInt(v);
        case "--devices" -> devices = Integer.parseInt(v);
        case "--postgres" -> pg = v;
        default -> {
          System.err.println("unknown option " + a + "; --help lists them");
          System.exit(2);
        }
      }
    }
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.printf("machine: %d cpus, java %s; nodes, database and load generator share them%n", cores, System.getProperty("java.version"));
    try (Connection c = DriverManager.getConnection(pg, "postgres", "")) {
      c.isValid(2);
    } catch (java.sql.SQLException e) {
      System.err.println("PostgreSQL not reachable at " + pg + ": " + e.getMessage());
      System.exit(1);
    }
    List<SoftwareSigner> signers = new ArrayList<>();
    for (int d = 0; d < devices; d++) {
      signers.add(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()));
    }
    for (int n : nodeCounts) {
      run(n, signers, envelopes, warmup, pg, cores);
    }
  }

  private static void run(int nodes, List<SoftwareSigner> signers, int measured, int warmup, String pg, int cores) throws Exception {
    Path dir = Files.createTempDirectory("popw-bench-cluster");
    String schema = "popw_bench_cluster_" + System.nanoTime();
    Database.postgres(pg, "postgres", "", schema, true).close(); // creates and migrates the schema
    Path key = dir.resolve("coordinator.key");
    dev.popw.coordinator.CoordinatorKey.loadOrCreate(key);
    List<Process> procs = new ArrayList<>();
    int[] coap = new int[nodes];
    int[] api = new int[nodes];
    try {
      for (int i = 0; i < nodes; i++) {
        coap[i] = freeUdpPort();
        api[i] = freeTcpPort();
        Path config = dir.resolve("node-" + i + ".toml");
        Files.writeString(config, String.join("\n",
            "network_id = \"" + NETWORK + "\"", "coordinator_key_file = \"" + key + "\"", "data_dir = \"" + dir.resolve("node-" + i) + "\"",
            "bind_host = \"127.0.0.1\"", "[mqtt]", "port = -1", "[coap]", "port = " + coap[i], "[api]", "port = " + api[i],
            "rate_limit_per_second = 0",
            "[database]", "postgres_url = \"" + pg + "\"", "postgres_user = \"postgres\"", "postgres_schema = \"" + schema + "\"",
            "[batch]", "max_envelopes = 10000", "max_age_seconds = 5",
            "[limits]", "coap_requests_per_second = 0",
            "[cluster]", "enabled = true", "node_id = \"node-" + i + "\"", ""));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        procs.add(new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"), "dev.popw.coordinator.cli.CoordinatorCli",
            "run", "--config", config.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("node-" + i + ".log").toFile()).start());
      }
      for (int i = 0; i < nodes; i++) {
        awaitPort(api[i], procs.get(i), dir);
      }
      HttpClient http = HttpClient.newHttpClient();
      for (SoftwareSigner s : signers) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api[0] + "/v1/devices"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(Registrations.sign(s, OWNER, DeviceKind.SENSOR, null, NETWORK, Clock.systemUTC())))
            .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
          throw new IllegalStateException("registration failed: " + r.body());
        }
      }
      int total = warmup + measured;
      byte[][] env = new byte[total][];
      List<EnvelopeSealer> sealers = new ArrayList<>();
      for (SoftwareSigner s : signers) {
        AtomicInteger seq = new AtomicInteger(1);
        sealers.add(EnvelopeSealer.builder().signer(s).sequence(() -> seq.getAndIncrement()).networkId(NETWORK).build());
      }
      IntStream.range(0, signers.size()).parallel().forEach(d -> {
        for (int i = d; i < total; i += signers.size()) {
          env[i] = sealers.get(d).seal(reading(i)).bytes();
        }
      });
      drive(env, 0, warmup, signers.size(), coap);
      long[] accepted0 = new long[nodes];
      long[] cpu0 = new long[nodes];
      for (int i = 0; i < nodes; i++) {
        accepted0[i] = accepted(http, api[i]);
        cpu0[i] = procTicks(procs.get(i).pid());
      }
      long db0 = postgresTicks();
      long self0 = procTicks(ProcessHandle.current().pid());
      long t0 = System.nanoTime();
      long failed = drive(env, warmup, total, signers.size(), coap);
      double wall = (System.nanoTime() - t0) / 1e9;
      long db = postgresTicks() - db0;
      long self = procTicks(ProcessHandle.current().pid()) - self0;
      long acceptedAll = 0;
      long nodeTicks = 0;
      long[] acc = new long[nodes];
      long[] cpu = new long[nodes];
      for (int i = 0; i < nodes; i++) {
        acc[i] = accepted(http, api[i]) - accepted0[i];
        cpu[i] = procTicks(procs.get(i).pid()) - cpu0[i];
        acceptedAll += acc[i];
        nodeTicks += cpu[i];
      }
      System.out.printf("%n%d node%s + PostgreSQL, CoAP: %,d envelopes from %d devices (after a warm-up of %,d), %d without a 2.xx answer%n",
          nodes, nodes == 1 ? "" : "s", measured, signers.size(), warmup, failed);
      System.out.printf("  measured: accepted and persisted %,d in %.2f s = %,.0f msgs/s on this %d-cpu machine (everything on it)%n",
          acceptedAll, wall, acceptedAll / wall, cores);
      for (int i = 0; i < nodes; i++) {
        System.out.printf("  measured: node-%d accepted %,d, CPU %.2f s = %.1f us per envelope it accepted%n", i, acc[i], cpu[i] / TICKS,
            acc[i] == 0 ? 0 : cpu[i] / TICKS * 1e6 / acc[i]);
      }
      double nodeUs = nodeTicks / TICKS * 1e6 / acceptedAll;
      double dbUs = db / TICKS * 1e6 / acceptedAll;
      System.out.printf("  measured: nodes together %.1f us per envelope; PostgreSQL server processes %.1f us per envelope = %.0f%% of"
          + " nodes + database; load generator %.1f us per envelope (not counted)%n", nodeUs, dbUs, 100 * dbUs / (nodeUs + dbUs),
          self / TICKS * 1e6 / acceptedAll);
      double perNodeUs = nodeUs; // CPU one envelope costs whichever node takes it
      double nodeRate = cores * 1e6 / perNodeUs;
      double dbRate = cores * 1e6 / dbUs;
      System.out.printf("  projected: one node alone on a %d-cpu machine %,.0f msgs/s (CPU-bound); PostgreSQL alone on a %d-cpu machine"
          + " takes %,.0f msgs/s%n", cores, nodeRate, cores, dbRate);
      for (int k : new int[] {1, 2, 4, 8}) {
        double r = Math.min(k * nodeRate, dbRate);
        System.out.printf("  projected: %d node%s on %d machines + the database on its own: %,.0f msgs/s (%s-bound)%n", k, k == 1 ? "" : "s", k,
            r, k * nodeRate <= dbRate ? "node" : "database");
      }
    } finally {
      for (Process p : procs) {
        p.destroy();
      }
      for (Process p : procs) {
        p.waitFor(30, TimeUnit.SECONDS);
        if (p.isAlive()) {
          p.destroyForcibly();
        }
      }
      try (Connection c = DriverManager.getConnection(pg, "postgres", ""); Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }

  /** Sends envelopes [from, to) over CoAP, device d to node d mod N; returns how many got no 2.xx answer. */
  private static long drive(byte[][] env, int from, int to, int devices, int[] coap) throws Exception {
    int perNode = 4;
    List<LeanCoapClient> clients = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(to - from);
    AtomicLong failed = new AtomicLong();
    for (int n = 0; n < coap.length; n++) {
      for (int k = 0; k < perNode; k++) {
        clients.add(new LeanCoapClient(new InetSocketAddress("127.0.0.1", coap[n]), 128, idx -> {
          if (idx < 0) {
            failed.incrementAndGet();
          }
          done.countDown();
        }));
      }
    }
    // One sending thread per node; within a node, device d uses client d mod perNode.
    List<Thread> senders = new ArrayList<>();
    for (int n = 0; n < coap.length; n++) {
      int node = n;
      Thread t = new Thread(() -> {
        try {
          for (int i = from; i < to; i++) {
            int d = i % devices;
            if (d % coap.length == node) {
              clients.get(node * perNode + (d / coap.length) % perNode).post(env[i], i);
            }
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, "sender-" + n);
      t.start();
      senders.add(t);
    }
    for (Thread t : senders) {
      t.join();
    }
    if (!done.await(5, TimeUnit.MINUTES)) {
      System.out.printf("  %d responses missing%n", done.getCount());
    }
    clients.forEach(LeanCoapClient::close);
    return failed.get();
  }

  private static long accepted(HttpClient http, int api) throws Exception {
    String m = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    java.util.regex.Matcher x = java.util.regex.Pattern.compile("popw_envelopes_total\\{outcome=\"ACCEPTED\"[^}]*} ([0-9.E+]+)").matcher(m);
    return x.find() ? (long) Double.parseDouble(x.group(1)) : 0;
  }

  /** utime + stime of a process and its reaped children, in clock ticks (/proc/PID/stat). */
  private static long procTicks(long pid) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    } catch (java.io.IOException | RuntimeException e) {
      return 0; // gone
    }
  }

  /** CPU ticks of every process named postgres (the server and its backends). */
  private static long postgresTicks() throws java.io.IOException {
    long sum = 0;
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path p : dirs.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
        try {
          String s = Files.readString(p.resolve("stat"));
          if (s.contains("(postgres)")) {
            sum += procTicks(Long.parseLong(p.getFileName().toString()));
          }
        } catch (java.io.IOException | RuntimeException e) {
          // a process that ended meanwhile
        }
      }
    }
    return sum;
  }

  private static SensorReading reading(int i) {
    return SensorReading.newBuilder().setSensorModel("BME280")
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(15 + (i % 100) / 10.0).setUnit(Unit.CELSIUS))
        .build();
  }

  private static void awaitPort(int port, Process p, Path dir) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (java.io.IOException e) {
        if (!p.isAlive()) {
          break;
        }
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("a coordinator did not start; see the logs in " + dir);
  }

  private static int freeUdpPort() throws Exception {
    try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static int freeTcpPort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
