package dev.popw.agent.coverage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.Telemetry;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The GWMP side of the coverage source, against a simulated packet forwarder over UDP on loopback. */
class CoverageSourceTest {
  static final byte[] OWN_ID = {(byte) 0xed, 1, 2, 3};
  final List<Telemetry.Builder> out = new CopyOnWriteArrayList<>();
  final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  CoverageSource source;
  PacketForwarder forwarder;
  static final byte[] VALUE = new byte[32];

  static {
    VALUE[0] = 0x5a;
    VALUE[31] = 0x11;
  }

  volatile dev.popw.entropy.EntropyCheck entropy = new dev.popw.entropy.EntropyCheck(dev.popw.proto.v1.Entropy.newBuilder()
      .setValue(com.google.protobuf.ByteString.copyFrom(VALUE)).setSequence(7).build(), null, "");

  @BeforeEach
  void start() throws Exception {
    source = new CoverageSource("127.0.0.1", 0, Duration.ofHours(6), Duration.ofMinutes(30),
        new CoverageSource.BeaconRadio(868.1, "SF9BW125", 14), OWN_ID, 3.0, () -> entropy, Clock.systemUTC());
    source.start(out::add, scheduler);
    forwarder = new PacketForwarder(source.address());
  }

  @AfterEach
  void stop() {
    forwarder.close();
    source.close();
    scheduler.shutdownNow();
  }

  @Test
  void pull_data_is_acknowledged_and_opens_the_downlink_for_beacons() throws Exception {
    assertFalse(source.beaconNow(), "no forwarder yet: nothing to send through");
    int token = forwarder.send(Gwmp.PULL_DATA, null);
    Gwmp.Packet ack = forwarder.receive();
    assertEquals(Gwmp.PULL_ACK, ack.type());
    assertEquals(token, ack.token());

    assertTrue(source.beaconNow());
    Gwmp.Packet resp = forwarder.receive();
    assertEquals(Gwmp.PULL_RESP, resp.type());
    JsonNode txpk = new ObjectMapper().readTree(resp.json()).get("txpk");
    assertEquals(868.1, txpk.get("freq").asDouble());
    assertEquals("SF9BW125", txpk.get("datr").asText());
    assertEquals("LORA", txpk.get("modu").asText());
    byte[] payload = Base64.getDecoder().decode(txpk.get("data").asText());
    assertEquals(payload.length, txpk.get("size").asInt());
    assertEquals(Beacon.LENGTH, payload.length);
    Beacon b = Beacon.decode(payload).orElseThrow();
    assertArrayEquals(Beacon.tagOf(OWN_ID), b.beaconerTag());
    assertArrayEquals(java.util.Arrays.copyOf(VALUE, 8), b.entropyPrefix(), "the radio payload carries the entropy's prefix");

    assertEquals(1, out.size(), "the beacon it sent is reported");
    CoverageReport r = out.get(0).getCoverage();
    assertEquals(CoverageReport.Role.BEACON, r.getRole());
    assertArrayEquals(b.beaconId(), r.getBeaconId().toByteArray());
    assertArrayEquals(VALUE, r.getBeaconEntropy().toByteArray(), "the report carries the whole entropy value");
    assertEquals(16, r.getBeaconNonce().size());
    assertArrayEquals(dev.popw.entropy.Entropies.beaconId(VALUE, r.getBeaconNonce().toByteArray(), OWN_ID), b.beaconId(),
        "the beacon id is derived from entropy, nonce and device id");
    assertEquals(868_100_000L, r.getFrequencyHz());
    assertEquals(3.0f, r.getAntennaGainDbi());
  }

  @Test
  void without_fresh_entropy_no_beacon_is_sent() throws Exception {
    forwarder.send(Gwmp.PULL_DATA, null);
    forwarder.receive();
    entropy = new dev.popw.entropy.EntropyCheck(null, dev.popw.entropy.EntropyFailure.EXPIRED, "expired 20 s ago");
    assertFalse(source.beaconNow());
    assertTrue(out.isEmpty());
    assertTrue(source.status().contains("EXPIRED"), source.status());
  }

  @Test
  void one_beacon_per_interval_away_from_its_edges() {
    long h6 = 6 * 3_600_000L;
    long m = 30 * 60_000L;
    assertEquals(h6 + m, CoverageSource.nextBeaconTime(h6, h6, m, 0.0), "at the start of an interval: its window");
    assertEquals(2 * h6 + m, CoverageSource.nextBeaconTime(h6 + m + 1, h6, m, 0.0), "its window begun: the next interval's");
    assertEquals(h6 + h6 - m - 1, CoverageSource.nextBeaconTime(h6, h6, m, (h6 - 2 * m - 1) / (double) (h6 - 2 * m)));
    long a = CoverageSource.nextBeaconTime(0, h6, m, 0.999);
    long b = CoverageSource.nextBeaconTime(a + 1, h6, m, 0.0);
    assertTrue(Math.floorDiv(a, h6) < Math.floorDiv(b, h6), "the following beacon is in a later interval");
  }

  @Test
  void a_heard_beacon_becomes_a_witness_report_and_other_traffic_is_ignored() throws Exception {
    byte[] id = new byte[16];
    id[0] = 42;
    byte[] otherTag = Beacon.tagOf(new byte[] {9, 9});
    byte[] prefix = {1, 2, 3, 4, 5, 6, 7, 8};
    String beacon = Base64.getEncoder().encodeToString(new Beacon(prefix, id, otherTag).encode());
    String lorawan = Base64.getEncoder().encodeToString(new byte[] {0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    int token = forwarder.send(Gwmp.PUSH_DATA, "{\"rxpk\":[{\"tmst\":3512348611,\"freq\":868.3,\"rssi\":-87,\"lsnr\":7.5,"
        + "\"datr\":\"SF9BW125\",\"data\":\"" + beacon + "\"},{\"tmst\":1,\"freq\":868.1,\"rssi\":-60,\"lsnr\":9,\"datr\":\"SF7BW125\",\"data\":\""
        + lorawan + "\"}],\"stat\":{\"rxnb\":2}}");
    Gwmp.Packet ack = forwarder.receive();
    assertEquals(Gwmp.PUSH_ACK, ack.type());
    assertEquals(token, ack.token());
    await(() -> out.size() == 1);
    CoverageReport w = out.get(0).getCoverage();
    assertEquals(CoverageReport.Role.WITNESS, w.getRole());
    assertArrayEquals(id, w.getBeaconId().toByteArray());
    assertArrayEquals(otherTag, w.getBeaconerId().toByteArray());
    assertArrayEquals(prefix, w.getBeaconEntropy().toByteArray(), "the witness quotes the entropy prefix it heard");
    assertEquals(-87f, w.getRssiDbm());
    assertEquals(7.5f, w.getSnrDb());
    assertEquals(868_300_000L, w.getFrequencyHz());
    assertEquals("SF9BW125", w.getDataRate());
    assertEquals((int) 3512348611L, w.getConcentratorTmst());
    assertTrue(w.getReceivedAtMs() > 0);
    assertEquals(1, source.witnesses());
  }

  @Test
  void malformed_json_and_packets_are_counted_and_the_source_keeps_working() throws Exception {
    forwarder.send(Gwmp.PUSH_DATA, "{\"rxpk\":[{\"freq\":868.1,");
    assertEquals(Gwmp.PUSH_ACK, forwarder.receive().type(), "the forwarder still gets its ack");
    forwarder.sendRaw(new byte[] {2, 0});
    forwarder.sendRaw(new byte[] {7, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    forwarder.send(Gwmp.PUSH_DATA, "{\"rxpk\":[{\"freq\":868.1,\"data\":\"%%%\"}]}");
    forwarder.receive();
    await(() -> source.malformed() == 4);
    assertTrue(source.status().contains("4 malformed"), source.status());
    assertTrue(out.isEmpty());
    forwarder.send(Gwmp.PULL_DATA, null);
    assertEquals(Gwmp.PULL_ACK, forwarder.receive().type(), "still answering after the garbage");
  }

  private static void await(java.util.function.BooleanSupplier c) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5000;
    while (!c.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out");
      }
      Thread.sleep(10);
    }
  }
}
