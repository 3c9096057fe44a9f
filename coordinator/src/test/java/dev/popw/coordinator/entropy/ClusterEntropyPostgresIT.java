package dev.popw.coordinator.entropy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.ClusterSettings;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.EntropyStore;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.testing.TestCoordinatorKey;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.coordinator.validation.IssuedEntropy;
import dev.popw.coordinator.validation.coverage.CoverageSettings;
import dev.popw.entropy.EntropyCheck;
import dev.popw.entropy.EntropyTrust;
import dev.popw.testing.MutableClock;
import dev.popw.testing.TestKeys;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Beacon entropy on a cluster (docs/scale-out.md): two coordinators on one PostgreSQL schema and one
 * injected clock. Only the node holding the epochs role issues (stores, signs and publishes); the
 * other serves the holder's latest and publishes nothing; when the holder stops, the other takes the
 * role and continues the sequence, every number once. And two services that both believe they hold
 * the role (the moment a dying node has not noticed yet) store each number once: the loser serves
 * the winner's entropy and publishes nothing.
 */
class ClusterEntropyPostgresIT {
  private static final String NETWORK = "popw-test";
  private final String schema = TestDatabases.newSchema();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));
  @TempDir Path tmp;

  @AfterEach
  void drop() {
    TestDatabases.dropSchema(schema);
  }

  private Coordinator node(String name) {
    TestDatabases.postgres(schema, true).close(); // skips without PostgreSQL; creates the schema
    CoordinatorSettings s = CoordinatorSettings.defaults().withNetwork(NETWORK).withDataDirectory(tmp.resolve(name))
        .withEmbeddedMqtt(-1).withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(-1)
        .withPostgres(TestDatabases.postgresUrl(), TestDatabases.postgresUser(), "", schema).toBuilder()
        .coordinatorKeyFile(TestCoordinatorKey.write(tmp.resolve("coordinator.key"))) // one key for the whole cluster
        .coverage(CoverageSettings.defaults().withEntropyInterval(Duration.ofSeconds(1)))
        .cluster(new ClusterSettings(true, name, Duration.ofMillis(300), Duration.ofSeconds(1))).build();
    return Coordinator.builder(s).clock(clock).closeEpochsAutomatically(false).start();
  }

  @Test
  void only_the_role_holder_issues_and_a_new_holder_continues_the_sequence() throws Exception {
    List<Long> publishedByA = new CopyOnWriteArrayList<>();
    List<Long> publishedByB = new CopyOnWriteArrayList<>();
    Coordinator a = node("a");
    boolean aOpen = true;
    try (Coordinator b = node("b")) {
      a.entropy().onIssued((topic, bytes) -> publishedByA.add(sequenceOf(bytes)));
      b.entropy().onIssued((topic, bytes) -> publishedByB.add(sequenceOf(bytes)));
      assertTrue(a.clusterRoles().holds(dev.popw.coordinator.cluster.ClusterRoles.Role.EPOCHS), "the first node takes the roles");
      await(() -> b.entropy().current() != null, "node B serves the entropy node A issued at start");
      EntropyStore.Stored first = b.entropy().current();
      assertNotNull(first);
      assertEquals(1, first.entropy().sequence());
      assertArrayEquals(a.entropy().current().signed(), first.signed(), "the same signed entropy on both nodes");

      for (long want = 2; want <= 4; want++) {
        clock.advance(Duration.ofSeconds(1)); // the latest is an interval old: node A's thread issues the next
        long w = want;
        assertTrue(await(() -> b.entropy().current().entropy().sequence() == w, "node B serves #" + w), "node B serves #" + want);
        assertArrayEquals(a.entropy().current().signed(), b.entropy().current().signed());
      }
      clock.advance(Duration.ofMillis(500));
      b.entropy().tick(); // not due and not the holder: nothing issued
      assertEquals(List.of(), publishedByB, "node B never publishes while node A holds the role");

      a.close(); // its role connection closes: node B takes the role at its next try
      aOpen = false;
      assertTrue(await(() -> b.clusterRoles().holds(dev.popw.coordinator.cluster.ClusterRoles.Role.EPOCHS), "node B takes the role"));
      assertEquals(4, b.entropy().current().entropy().sequence(), "the new holder serves the last entropy until it is an interval old");
      clock.advance(Duration.ofMillis(500));
      assertTrue(await(() -> b.entropy().current().entropy().sequence() == 5, "node B issues #5"), "node B continues the sequence");
      clock.advance(Duration.ofSeconds(1));
      assertTrue(await(() -> b.entropy().current().entropy().sequence() == 6, "node B issues #6"));
      assertEquals(List.of(5L, 6L), publishedByB, "node B published what it issued, once each");
      assertTrue(publishedByA.containsAll(List.of(2L, 3L, 4L)) && !publishedByA.contains(5L), "node A published its own: " + publishedByA);

      assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), storedSequences(), "every number once, no gap");
      EntropyTrust trust = EntropyTrust.pinned(java.util.HexFormat.of().parseHex(TestKeys.COORDINATOR_PUBLIC_KEY), NETWORK, 30_000);
      Store store = b.store();
      for (long seq = 1; seq <= 6; seq++) {
        EntropyStore.Stored e = store.entropy().bySequence(seq).orElseThrow();
        EntropyCheck c = trust.check(e.signed(), e.entropy().issuedAtMs());
        assertTrue(c.isValid(), "#" + seq + " verifies under the cluster's key: " + c.detail());
        assertEquals(seq, c.entropy().getSequence());
      }
    } finally {
      if (aOpen) {
        a.close();
      }
    }
  }

  @Test
  void two_nodes_that_both_believe_they_hold_the_role_store_each_number_once() throws Exception {
    TestDatabases.postgres(schema, true).close();
    try (Database da = TestDatabases.postgres(schema, true); Database db = TestDatabases.postgres(schema, true)) {
      BooleanSupplier holds = () -> true;
      List<Long> published = new CopyOnWriteArrayList<>();
      List<EntropyService> services = new ArrayList<>();
      for (Database d : List.of(da, db)) {
        EntropyService e = new EntropyService(new Store(d).entropy(), TestKeys.coordinator(), NETWORK, Duration.ofSeconds(1),
            Duration.ofSeconds(180), clock).role(holds);
        e.onIssued((topic, bytes) -> published.add(sequenceOf(bytes)));
        services.add(e);
      }
      int rounds = 30;
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        for (int round = 1; round <= rounds; round++) {
          clock.advance(Duration.ofSeconds(1));
          CyclicBarrier start = new CyclicBarrier(2);
          List<Future<EntropyStore.Stored>> got = new ArrayList<>();
          for (EntropyService e : services) {
            got.add(pool.submit(() -> {
              start.await(5, TimeUnit.SECONDS);
              return e.current();
            }));
          }
          EntropyStore.Stored x = got.get(0).get(10, TimeUnit.SECONDS);
          EntropyStore.Stored y = got.get(1).get(10, TimeUnit.SECONDS);
          assertEquals(round, x.entropy().sequence(), "one new number per interval");
          assertEquals(x.entropy().sequence(), y.entropy().sequence());
          assertArrayEquals(x.signed(), y.signed(), "round " + round + ": both serve the one stored entropy");
        }
      } finally {
        pool.shutdownNow();
      }
      List<Long> want = new ArrayList<>();
      for (long i = 1; i <= rounds; i++) {
        want.add(i);
      }
      assertEquals(want, storedSequences());
      assertEquals(want, published.stream().sorted().toList(), "each number published once, by the node that stored it");

      // The store refuses a number that is there, whatever the value.
      IssuedEntropy again = new IssuedEntropy(rounds, new byte[32], clock.millis(), clock.millis() + 1000);
      assertTrue(!new Store(da).entropy().saveIfNew(again, new byte[] {1}));
      for (EntropyService e : services) {
        e.close();
      }
    }
  }

  private List<Long> storedSequences() throws Exception {
    try (Database d = TestDatabases.postgres(schema, true); Connection c = d.dataSource().getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT sequence FROM entropy ORDER BY sequence")) {
      List<Long> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
      return out;
    }
  }

  private static long sequenceOf(byte[] signedEntropy) {
    try {
      return dev.popw.proto.v1.Entropy.parseFrom(dev.popw.proto.v1.SignedEntropy.parseFrom(signedEntropy).getEntropy()).getSequence();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static boolean await(BooleanSupplier done, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what);
      Thread.sleep(20);
    }
    return true;
  }
}
