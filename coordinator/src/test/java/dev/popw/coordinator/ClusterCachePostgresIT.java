package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.ingest.IngestResult;
import dev.popw.coordinator.ingest.IngestStatus;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cache invalidation across a cluster's nodes (docs/scale-out.md): two coordinators on one
 * PostgreSQL schema; node B has a device's state cached; the device is deactivated (and then
 * reactivated) through node A, and node B decides the next envelopes by the new status. With the
 * poll interval at a minute, only the NOTIFY can bring the change in time; with the notification
 * missing (an event row written without one), the poll brings it.
 */
class ClusterCachePostgresIT {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  private final String schema = TestDatabases.newSchema();
  @TempDir Path tmp;

  @AfterEach
  void drop() {
    TestDatabases.dropSchema(schema);
  }

  private Coordinator node(String name, Duration poll) {
    TestDatabases.postgres(schema, true).close(); // skips without PostgreSQL; creates the schema
    CoordinatorSettings s = CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(tmp.resolve(name))
        .withEmbeddedMqtt(-1).withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(-1)
        .withPostgres(TestDatabases.postgresUrl(), TestDatabases.postgresUser(), "", schema)
        .toBuilder().cluster(new ClusterSettings(true, name, Duration.ofMillis(300), poll)).build();
    return Coordinator.start(s);
  }

  @Test
  void a_deactivation_on_one_node_reaches_the_others_by_notification() throws Exception {
    try (Coordinator a = node("a", Duration.ofMinutes(1)); Coordinator b = node("b", Duration.ofMinutes(1))) {
      SoftwareSigner device = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      a.registry().register(Registrations.sign(device, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(device).sequence(new FixedSequence(1)).networkId("popw-test").build();
      Supplier<IngestResult> send = () -> b.pipeline().submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join();
      assertEquals(IngestStatus.ACCEPTED, send.get().status(), "node B knows the device from the database (and caches it)");
      a.registry().setActive(device.deviceId(), false);
      assertEquals("DEVICE_INACTIVE", within(Duration.ofSeconds(5), send, "DEVICE_INACTIVE"), "node B learns of the deactivation");
      a.registry().setActive(device.deviceId(), true);
      assertEquals("", within(Duration.ofSeconds(5), send, ""), "and of the reactivation");
    }
  }

  @Test
  void a_lost_notification_is_made_up_for_by_the_poll() throws Exception {
    try (Coordinator a = node("a", Duration.ofMinutes(1)); Coordinator b = node("b", Duration.ofMillis(300))) {
      SoftwareSigner device = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      a.registry().register(Registrations.sign(device, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(device).sequence(new FixedSequence(1)).networkId("popw-test").build();
      Supplier<IngestResult> send = () -> b.pipeline().submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join();
      assertEquals(IngestStatus.ACCEPTED, send.get().status());
      // The status changes and the event row is written, but no NOTIFY is sent (as when node B's LISTEN connection was down).
      try (Database db = TestDatabases.postgres(schema, true); Connection c = db.dataSource().getConnection()) {
        try (PreparedStatement ps = c.prepareStatement("UPDATE devices SET status='INACTIVE' WHERE device_id=?")) {
          ps.setString(1, device.deviceId().toString());
          assertEquals(1, ps.executeUpdate());
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO cluster_events (kind, subject, node, created_at) VALUES ('device', ?, 'test', ?)")) {
          ps.setString(1, device.deviceId().toString());
          ps.setLong(2, System.currentTimeMillis());
          ps.executeUpdate();
        }
      }
      assertEquals("DEVICE_INACTIVE", within(Duration.ofSeconds(5), send, "DEVICE_INACTIVE"), "node B's poll finds the event");
    }
  }

  /** Sends until the reason is {@code want} ("" for accepted) or the time is up; returns the last reason. */
  private static String within(Duration d, Supplier<IngestResult> send, String want) throws InterruptedException {
    long deadline = System.nanoTime() + d.toNanos();
    String last;
    do {
      IngestResult r = send.get();
      last = r.status() == IngestStatus.ACCEPTED ? "" : r.reason();
      if (last.equals(want)) {
        return last;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
    assertTrue(false, "still '" + last + "' after " + d);
    return last;
  }
}
