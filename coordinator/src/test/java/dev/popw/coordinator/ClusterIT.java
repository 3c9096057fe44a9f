package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.batch.Batcher;
import dev.popw.coordinator.batch.DatabaseSettlement;
import dev.popw.coordinator.batch.InclusionProof;
import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.coordinator.cluster.ClusterRoles;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.SealedBatch;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.testing.ChildCoordinator;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Receipt;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.Mosquitto;
import dev.popw.testing.SampleTelemetry;
import dev.popw.transport.Acknowledgement;
import dev.popw.transport.Transport;
import dev.popw.transport.TransportListener;
import dev.popw.transport.coap.CoapTransport;
import dev.popw.transport.mqtt.MqttTransport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, scale-out: three coordinators, each its own JVM, on one real PostgreSQL schema and one
 * real Mosquitto (a private one, reached as an external broker through the shared subscription
 * {@code $share/popw-it/...}). Two devices stream over MQTT (the broker spreads their envelopes over
 * the nodes) and three over CoAP (one per node). The node holding every single role is killed with
 * SIGKILL mid-stream, and the roles must move to a live node within seconds; it is started again;
 * then the node that took the sealing role is stopped and started again, and the roles move once
 * more. Afterwards: every acknowledged envelope is stored exactly once, no envelope is in two
 * batches, every batch root verifies, and copies of one sequence number sent to two nodes at the
 * same moment are decided by the database (DUPLICATE for the same bytes, EQUIVOCATION otherwise).
 */
class ClusterIT {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  private static final String NETWORK = "popw-test";
  @TempDir Path tmp;

  private final String schema = TestDatabases.newSchema();
  private final Node[] nodes = new Node[3];

  /** One coordinator process and its ports. */
  private final class Node {
    final String name;
    final Path config;
    final int api;
    final int coap;
    Process process;

    Node(int i, Path key, int mqttPort) throws Exception {
      this.name = "node-" + i;
      this.api = Mosquitto.freePort();
      this.coap = ChildCoordinator.freeUdpPort();
      this.config = tmp.resolve(name + ".toml");
      Files.writeString(config, String.join("\n",
          "network_id = \"" + NETWORK + "\"", "coordinator_key_file = \"" + key + "\"", "data_dir = \"" + tmp.resolve(name) + "\"",
          "bind_host = \"127.0.0.1\"",
          "[mqtt]", "url = \"tcp://127.0.0.1:" + mqttPort + "\"", "client_id = \"popw-" + name + "\"", "shared_group = \"popw-it\"",
          "[coap]", "port = " + coap, "[api]", "port = " + api,
          "[database]", "postgres_url = \"" + TestDatabases.postgresUrl() + "\"", "postgres_user = \"" + TestDatabases.postgresUser() + "\"",
          "postgres_schema = \"" + schema + "\"",
          "[batch]", "max_envelopes = 50", "max_age_seconds = 1",
          "[epoch]", "length_seconds = 5", "close_delay_seconds = 1",
          "[coverage]", "entropy_interval_seconds = 1",
          "[cluster]", "enabled = true", "node_id = \"" + name + "\"", "role_retry_ms = 300", "event_poll_ms = 500", ""));
    }

    void start() throws Exception {
      process = ChildCoordinator.start(config, api, Map.of(), List.of("-Xmx256m"), tmp.resolve(name + "-" + System.nanoTime() + ".log"));
      long deadline = System.currentTimeMillis() + 30_000;
      while (!health().contains("\"mqtt\":\"connected\"")) {
        assertTrue(System.currentTimeMillis() < deadline, name + " connects to the broker: " + health());
        Thread.sleep(100);
      }
    }

    String health() throws Exception {
      try {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api + "/health")).build(),
            HttpResponse.BodyHandlers.ofString()).body().replace(" ", "");
      } catch (java.io.IOException e) {
        return "";
      }
    }

    long accepted() throws Exception {
      String m = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      java.util.regex.Matcher x = java.util.regex.Pattern.compile("popw_envelopes_total\\{outcome=\"ACCEPTED\"[^}]*} ([0-9.E]+)").matcher(m);
      return x.find() ? (long) Double.parseDouble(x.group(1)) : 0;
    }

    void kill() throws Exception {
      process.destroyForcibly(); // SIGKILL
      assertTrue(process.waitFor(10, TimeUnit.SECONDS));
    }

    void stop() throws Exception {
      process.destroy(); // SIGTERM: a clean stop
      assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void three_nodes_survive_a_sigkill_and_a_restart_with_every_envelope_once_and_every_role_taken_over() throws Exception {
    Database probe = TestDatabases.postgres(schema, true); // creates and migrates the schema (skips without PostgreSQL)
    probe.close();
    Mosquitto broker = Mosquitto.start(tmp.resolve("broker"));
    Path key = dev.popw.coordinator.testing.TestCoordinatorKey.write(tmp.resolve("coordinator.key"));
    for (int i = 0; i < 3; i++) {
      nodes[i] = new Node(i + 1, key, broker.port());
    }
    List<Stream> streams = new ArrayList<>();
    long[] served = new long[3]; // the entropy each node's API serves at the end
    try (Connection db = DriverManager.getConnection(TestDatabases.postgresUrl(), TestDatabases.postgresUser(), "")) {
      db.setSchema(schema);
      nodes[0].start();
      Map<String, String> first = awaitRoles(db, r -> r.values().stream().allMatch("node-1"::equals), "node-1 takes every role");
      nodes[1].start();
      nodes[2].start();
      assertEquals(first, ClusterRoles.holders(db), "the roles stay where they are while nodes join");

      List<SoftwareSigner> mqttDevices = List.of(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()),
          SoftwareSigner.generate(KeyType.ECDSA_P256, new SecureRandom()));
      List<SoftwareSigner> coapDevices = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        coapDevices.add(SoftwareSigner.generate(i == 1 ? KeyType.ECDSA_SECP256K1 : KeyType.ED25519, new SecureRandom()));
      }
      int n = 0;
      for (SoftwareSigner s : concat(mqttDevices, coapDevices)) {
        register(nodes[n++ % 3], s); // registered through every node: the others learn them from the database
      }
      for (SoftwareSigner s : mqttDevices) {
        streams.add(new Stream("mqtt", s, MqttTransport.builder().serverUri(broker.tcpUri()).ackTimeout(Duration.ofSeconds(2))
            .reconnectBackoff(Duration.ofMillis(100), Duration.ofMillis(500)).build()));
      }
      for (int i = 0; i < 3; i++) {
        streams.add(new Stream("coap->" + nodes[i].name, coapDevices.get(i), coap(nodes[i])));
      }

      pump(streams, 3_000);
      long[] before = new long[3];
      for (int i = 0; i < 3; i++) {
        before[i] = nodes[i].accepted();
      }
      for (int i = 0; i < 3; i++) {
        assertTrue(before[i] > 20, "every node took part in ingest before the kill: " + java.util.Arrays.toString(before));
      }
      int ackedBeforeKill = streams.stream().mapToInt(s -> s.acked.size()).sum();

      long killedAt = System.currentTimeMillis();
      nodes[0].kill();
      Map<String, String> afterKill = awaitRoles(db, r -> r.values().stream().allMatch(h -> h != null && !h.equals("node-1")),
          "the roles leave the killed node-1");
      long takeoverMs = System.currentTimeMillis() - killedAt;
      assertTrue(takeoverMs < 10_000, "taken over within seconds: " + takeoverMs + " ms");
      pump(streams, 2_000); // streaming on into the outage
      nodes[0].start();
      String sealer = afterKill.get("sealer");
      Node restart = sealer.equals("node-2") ? nodes[1] : nodes[2];
      pump(streams, 1_000);
      restart.stop();
      Map<String, String> afterRestart = awaitRoles(db, r -> r.values().stream().allMatch(h -> h != null && !h.equals(restart.name)),
          "the roles leave the stopped " + restart.name);
      restart.start();
      pump(streams, 1_500);

      long deadline = System.currentTimeMillis() + 60_000;
      while (!streams.stream().allMatch(Stream::allAcked) && System.currentTimeMillis() < deadline) {
        streams.forEach(Stream::resendUnacked);
        Thread.sleep(300);
      }
      for (Stream s : streams) {
        assertTrue(s.allAcked(), s.name + ": every envelope acknowledged in the end: " + s.acked.size() + "/" + s.sent.size());
      }
      assertTrue(ackedBeforeKill > 100, "the stream was running when node-1 died: " + ackedBeforeKill);

      // Copies of one sequence number reach node-2 and node-3 at the same moment.
      SoftwareSigner racer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      register(nodes[0], racer);
      Transport toB = coap(nodes[1]);
      Transport toC = coap(nodes[2]);
      for (Transport t : List.of(toB, toC)) {
        t.start(racer.deviceId(), dev.popw.testing.TestKeys.coordinatorTrust(), TransportListener.NONE);
      }
      EnvelopeSealer sealerA = EnvelopeSealer.builder().signer(racer).sequence(new FixedSequence(1)).networkId(NETWORK).build();
      EnvelopeSealer sealerB = EnvelopeSealer.builder().signer(racer).sequence(new FixedSequence(1)).networkId(NETWORK).build();
      Map<String, Integer> same = new java.util.TreeMap<>();
      Map<String, Integer> other = new java.util.TreeMap<>();
      int rounds = 20;
      for (int round = 0; round < rounds; round++) {
        boolean identical = round % 2 == 0;
        SealedEnvelope one = sealerA.seal(SampleTelemetry.weather());
        SealedEnvelope two = identical ? one : sealerB.seal(SampleTelemetry.weather().toBuilder().setSensorModel("twin-" + round).build());
        if (identical) {
          sealerB.seal(SampleTelemetry.weather());
        }
        assertEquals(one.sequence(), two.sequence());
        CompletableFuture<Acknowledgement> a = toB.send(one.bytes(), one.hash());
        CompletableFuture<Acknowledgement> b = toC.send(two.bytes(), two.hash());
        List<Receipt> receipts = List.of(a.get(10, TimeUnit.SECONDS).receipt().orElseThrow(), b.get(10, TimeUnit.SECONDS).receipt().orElseThrow());
        Map<String, Integer> tally = identical ? same : other;
        for (Receipt r : receipts) {
          tally.merge(r.getStatus() == Receipt.Status.REJECTED ? r.getReason() : r.getStatus().name(), 1, Integer::sum);
        }
      }
      toB.close();
      toC.close();
      for (int i = 0; i < 3; i++) {
        served[i] = servedEntropy(nodes[i]);
      }
      long spread = java.util.Arrays.stream(served).max().getAsLong() - java.util.Arrays.stream(served).min().getAsLong();
      assertTrue(spread <= 1, "every node serves the holder's latest entropy (or the one before): " + java.util.Arrays.toString(served));
      assertEquals(Map.of("ACCEPTED", rounds / 2, "DUPLICATE", rounds / 2), same, "identical copies on two nodes: one accepted, one duplicate");
      assertEquals(Map.of("ACCEPTED", rounds / 2, "EQUIVOCATION", rounds / 2), other, "different copies on two nodes: one accepted, one equivocation");
      System.out.println("ClusterIT: roles at start " + first + ", after the SIGKILL " + afterKill + " (" + takeoverMs
          + " ms), after stopping " + restart.name + " " + afterRestart + "; accepted per node before the kill "
          + java.util.Arrays.toString(before));
    } finally {
      for (Stream s : streams) {
        s.transport.close();
      }
      for (Node node : nodes) {
        if (node != null && node.process != null && node.process.isAlive()) {
          node.stop();
        }
      }
      broker.close();
    }
    try (var logs = Files.list(tmp)) {
      for (Path log : logs.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
        String text = Files.readString(log);
        for (String bad : List.of("deadlock detected", "sealing a batch failed", "database write of")) {
          assertTrue(!text.contains(bad), log.getFileName() + " has no '" + bad + "'");
        }
      }
    }

    try (Database db = TestDatabases.postgres(schema, true)) {
      Store store = new Store(db);
      long total = 0;
      for (Stream s : streams) {
        String id = s.signer.deviceId().toString();
        List<long[]> rows = store.envelopes().acceptedSequences(id);
        assertEquals(s.sent.size(), rows.size(), s.name + ": each acknowledged envelope stored exactly once");
        for (SealedEnvelope e : s.sent) {
          assertArrayEquals(e.hash(), store.envelopes().acceptedHash(id, e.sequence()).orElseThrow(), s.name + " #" + e.sequence());
        }
        total += rows.size();
      }
      Batcher batcher = new Batcher(store, new DatabaseSettlement(), Clock.systemUTC(), 50, Duration.ofHours(1), () -> true);
      batcher.sealAll(); // what the last sealer had not sealed yet
      List<SealedBatch> batches = store.batches().batches(0, 100_000);
      assertTrue(batches.size() > 5, "batches were sealed: " + batches.size());
      long inBatches = 0;
      Set<Long> ids = new java.util.HashSet<>();
      for (SealedBatch b : batches) {
        assertTrue(ids.add(b.id()), "batch ids unique");
        List<byte[]> hashes = store.batches().batchHashes(b.id());
        assertEquals(b.envelopeCount(), hashes.size(), "batch " + b.id() + " holds exactly the envelopes it was sealed with");
        assertArrayEquals(MerkleTree.of(hashes).root(), b.merkleRoot(), "root of batch " + b.id());
        inBatches += b.envelopeCount();
      }
      try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT COUNT(*), COUNT(batch_id) FROM envelopes")) {
        rs.next();
        assertEquals(rs.getLong(1), rs.getLong(2), "every envelope is in a batch");
        assertEquals(rs.getLong(1), inBatches, "and in one only: the batches' counts add up to the envelopes");
        assertTrue(rs.getLong(1) >= total);
      }
      for (Stream s : streams) {
        for (SealedEnvelope e : s.sent) {
          InclusionProof p = batcher.proof(e.hash()).orElseThrow();
          assertTrue(MerkleTree.verify(p.proof(), p.batch().merkleRoot(), e.hash()), "proof of " + s.name + " #" + e.sequence());
        }
      }
      batcher.close();
      assertTrue(store.verdicts().lastClosed().isPresent(), "epochs were closed by whichever node held the role");

      // Entropy: issued only by the epochs holder of the moment, one sequence across both takeovers.
      dev.popw.entropy.EntropyTrust trust = dev.popw.entropy.EntropyTrust.pinned(HexFormat.of().parseHex(dev.popw.testing.TestKeys.COORDINATOR_PUBLIC_KEY),
          NETWORK, 30_000);
      try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT sequence, issued_at, signed FROM entropy ORDER BY sequence")) {
        long expect = 1;
        long previousAt = Long.MIN_VALUE / 2;
        while (rs.next()) {
          assertEquals(expect, rs.getLong(1), "entropy numbers run on without a gap");
          assertTrue(rs.getLong(2) - previousAt >= 1_000, "entropy #" + expect + " an interval after the one before: one issuer at a time");
          assertTrue(trust.check(rs.getBytes(3), rs.getLong(2)).isValid(), "entropy #" + expect + " signed with the cluster's key");
          previousAt = rs.getLong(2);
          expect++;
        }
        assertTrue(expect > 10, "entropy was issued all along: " + (expect - 1));
        System.out.println("ClusterIT: entropy #1 to #" + (expect - 1) + ", an interval apart, through both takeovers; served at the end "
            + java.util.Arrays.toString(served));
        for (long s : served) {
          assertTrue(s >= 1 && s < expect, "a served entropy is a stored one: " + s);
        }
      }
    } finally {
      TestDatabases.dropSchema(schema);
    }
  }

  private static List<SoftwareSigner> concat(List<SoftwareSigner> a, List<SoftwareSigner> b) {
    List<SoftwareSigner> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static Transport coap(Node node) {
    return CoapTransport.builder().uri("coap://127.0.0.1:" + node.coap + "/v1/telemetry").ackTimeout(Duration.ofMillis(300)).maxRetransmit(1)
        .responseTimeout(Duration.ofSeconds(2)).retryBackoff(Duration.ofMillis(100), Duration.ofMillis(500)).build();
  }

  /** The sequence of the entropy a node's API serves now. */
  private static long servedEntropy(Node node) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.api + "/v1/entropy"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), node.name + ": " + r.body());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"sequence\"\\s*:\\s*([0-9]+)").matcher(r.body());
    assertTrue(m.find(), r.body());
    return Long.parseLong(m.group(1));
  }

  private static void register(Node node, SoftwareSigner s) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.api + "/v1/devices"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(Registrations.sign(s, OWNER, DeviceKind.SENSOR, null, NETWORK, Clock.systemUTC())))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, r.statusCode(), r.body());
  }

  private static Map<String, String> awaitRoles(Connection db, java.util.function.Predicate<Map<String, String>> done, String what)
      throws Exception {
    long deadline = System.currentTimeMillis() + 15_000;
    Map<String, String> r = ClusterRoles.holders(db);
    while (!done.test(r)) {
      assertTrue(System.currentTimeMillis() < deadline, what + ": " + r);
      Thread.sleep(100);
      r = ClusterRoles.holders(db);
    }
    assertNotNull(r.get("sealer"));
    assertNotEquals(null, r.get("epochs"));
    return new LinkedHashMap<>(r);
  }

  private static void pump(List<Stream> streams, long ms) throws InterruptedException {
    long until = System.currentTimeMillis() + ms;
    while (System.currentTimeMillis() < until) {
      for (Stream s : streams) {
        s.pump(10);
      }
      Thread.sleep(10);
    }
  }

  /** One device sending sealed envelopes with its own window, remembering which were acknowledged. */
  private static final class Stream {
    final String name;
    final SoftwareSigner signer;
    final Transport transport;
    final EnvelopeSealer sealer;
    final List<SealedEnvelope> sent = new ArrayList<>();
    final Set<String> acked = ConcurrentHashMap.newKeySet();
    final Map<String, CompletableFuture<Acknowledgement>> inFlight = new ConcurrentHashMap<>();

    Stream(String name, SoftwareSigner signer, Transport transport) {
      this.name = name;
      this.signer = signer;
      this.transport = transport;
      this.sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).networkId(NETWORK).build();
      transport.start(signer.deviceId(), dev.popw.testing.TestKeys.coordinatorTrust(), TransportListener.NONE);
    }

    void pump(int n) {
      for (int i = 0; i < n && inFlight.size() < 16; i++) {
        SealedEnvelope e = sealer.seal(SampleTelemetry.weather());
        sent.add(e);
        send(e);
      }
    }

    void send(SealedEnvelope e) {
      String key = HexFormat.of().formatHex(e.hash());
      if (!transport.isConnected() || inFlight.containsKey(key)) {
        return;
      }
      CompletableFuture<Acknowledgement> f = transport.send(e.bytes(), e.hash());
      inFlight.put(key, f);
      f.whenComplete((ack, err) -> {
        inFlight.remove(key);
        if (err == null && ack.receipt().map(r -> r.getStatus() == Receipt.Status.ACCEPTED || r.getStatus() == Receipt.Status.DUPLICATE)
            .orElse(false)) {
          acked.add(key);
        }
      });
    }

    void resendUnacked() {
      for (SealedEnvelope e : sent) {
        if (!acked.contains(HexFormat.of().formatHex(e.hash()))) {
          send(e);
        }
      }
    }

    boolean allAcked() {
      return acked.size() == sent.size();
    }
  }
}
