package dev.popw.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.agent.coverage.CoverageSource;
import dev.popw.agent.coverage.Gwmp;
import dev.popw.agent.source.Source;
import dev.popw.testing.Mosquitto;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.store.EnvelopeRow;
import dev.popw.coordinator.store.EpochRecord;
import dev.popw.coordinator.validation.CoverageSummary;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.VerdictStatus;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.DeviceSigners;
import dev.popw.identity.EvmAddress;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real agents (their LoRa coverage source behind a simulated packet forwarder each) beacon
 * with live coordinator entropy and witness each other's beacons through a real coordinator; the
 * test is the radio: it takes each beacon's PULL_RESP from the beaconer's forwarder and hands the
 * payload to the other two forwarders as PUSH_DATA, with the received power of the log-distance
 * law (exponent 3) between the registered places. The epoch then closes on the coordinator's
 * clock, and every beacon and witness is VALID with its distance, power limit, HIP-15 units and hex
 * scale in the verdict.
 */
class AgentCoverageVerdictsIT {
  static final EvmAddress OWNER = EvmAddress.parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  /** The system clock plus an offset the test moves forward to close the epoch. */
  static final class JumpClock extends Clock {
    volatile long offset;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public long millis() {
      return System.currentTimeMillis() + offset;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis());
    }
  }

  static double haversine(double lat1, double lon1, double lat2, double lon2) {
    double p1 = Math.toRadians(lat1);
    double p2 = Math.toRadians(lat2);
    double a = Math.pow(Math.sin((p2 - p1) / 2), 2) + Math.cos(p1) * Math.cos(p2) * Math.pow(Math.sin(Math.toRadians(lon2 - lon1) / 2), 2);
    return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  record Node(DeviceSigner signer, CoverageSource source, DatagramSocket forwarder, Agent agent, double lat, double lon) {}

  @Test
  void agents_beacon_and_witness_through_a_coordinator_and_the_closed_epoch_finds_every_report_valid_with_its_numbers()
      throws Exception {
    long day = 86_400_000L;
    long into = System.currentTimeMillis() % day;
    // keep the run inside one UTC day (the epoch): start at least 2 min after midnight and 5 min before the next
    if (into < 120_000) {
      Thread.sleep(120_000 - into);
    } else if (into > day - 300_000) {
      Thread.sleep(day - into + 120_000);
    }
    JumpClock clock = new JumpClock();
    int mqtt = Mosquitto.freePort();
    CoordinatorSettings settings = CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(tmp.resolve("coordinator"))
        .withEmbeddedMqtt(mqtt).withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(0);
    double[][] places = {{52.5200, 13.4050}, {52.5290, 13.4050}, {52.5245, 13.4200}}; // 1.0 to 1.2 km apart
    List<Node> nodes = new ArrayList<>();
    try (Coordinator c = Coordinator.builder(settings).clock(clock).closeEpochsAutomatically(false).start()) {
      String key = java.util.HexFormat.of().formatHex(c.receiptKey());
      for (int i = 0; i < places.length; i++) {
        Path dir = tmp.resolve("agent" + i);
        Files.createDirectories(dir);
        Path cfg = dir.resolve("agent.toml");
        Files.writeString(cfg, String.join("\n", "network_id = \"popw-test\"", "key_file = \"" + dir.resolve("device.key") + "\"",
            "state_dir = \"" + dir.resolve("state") + "\"", "[transport]", "url = \"tcp://127.0.0.1:" + mqtt + "\"",
            "[coordinator]", "api_url = \"http://127.0.0.1:" + c.apiPort() + "\"", "key = \"" + key + "\"",
            "[sources.coverage]", "enabled = true", "port = 0", "beacon_interval_seconds = 2592000", "beacon_jitter_seconds = 648000", ""));
        assertEquals(0, dev.popw.agent.cli.AgentCli.execute("keygen", "--type", i == 1 ? "p256" : "ed25519", "--config", cfg.toString()));
        DeviceSigner signer = DeviceSigners.open(dir.resolve("device.key").toString());
        c.registry().register(dev.popw.registration.Registrations.sign(signer, OWNER, DeviceKind.COVERAGE,
            Location.newBuilder().setLatitude(places[i][0]).setLongitude(places[i][1]).build(), "popw-test", clock));
        AgentSettings s = AgentSettings.load(cfg, Map.of());
        List<Source> sources = new ArrayList<>(Agent.sources(s, signer.deviceId().toBytes()));
        CoverageSource cs = (CoverageSource) sources.stream().filter(x -> x instanceof CoverageSource).findFirst().orElseThrow();
        Agent agent = Agent.start(s, signer, Agent.transport(s), sources, Duration.ofSeconds(10));
        DatagramSocket fw = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        fw.setSoTimeout(5_000);
        send(fw, cs, Gwmp.fromGateway(Gwmp.PULL_DATA, 1, 0xAA00L + i, null));
        nodes.add(new Node(signer, cs, fw, agent, places[i][0], places[i][1]));
      }
      Thread.sleep(300);
      Map<String, Double> rssiOf = new HashMap<>(); // "witness beaconer" -> the power handed to the witness
      int token = 2;
      for (Node b : nodes) {
        assertTrue(b.source().beaconNow(), b.source().status());
        byte[] buf = new byte[4096];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        do {
          b.forwarder().receive(p); // the PULL_ACK first, then the beacon as the concentrator would transmit it (PULL_RESP)
        } while (p.getLength() < 5 || buf[3] != 0x03);
        JsonNode txpk = JSON.readTree(new String(buf, 4, p.getLength() - 4, StandardCharsets.UTF_8)).path("txpk");
        for (Node w : nodes) {
          if (w == b) {
            continue;
          }
          double d = haversine(b.lat(), b.lon(), w.lat(), w.lon());
          double rssi = Math.round(14 + 2.4 - (31.2 + 30 * Math.log10(d)));
          rssiOf.put(w.signer().deviceId() + " " + b.signer().deviceId(), rssi);
          String rxpk = String.format(Locale.ROOT, "{\"rxpk\":[{\"tmst\":%d,\"freq\":%s,\"rssi\":%d,\"lsnr\":-2.0,\"datr\":\"%s\",\"data\":\"%s\"}]}",
              token * 1000, txpk.path("freq").asText(), (int) rssi, txpk.path("datr").asText(), txpk.path("data").asText());
          send(w.forwarder(), w.source(), Gwmp.fromGateway(Gwmp.PUSH_DATA, token++, 0xAA00L + nodes.indexOf(w), rxpk));
        }
        Thread.sleep(200);
      }
      // every agent's beacon and its two witnesses arrive
      long deadline = System.currentTimeMillis() + 30_000;
      while (System.currentTimeMillis() < deadline && !nodes.stream().allMatch(n -> count(c, n) >= 3)) {
        Thread.sleep(200);
      }
      for (Node n : nodes) {
        assertEquals(3, count(c, n), "one beacon and two witnesses stored for " + n.signer().deviceId() + ": " + n.source().status());
      }

      // close the epoch: the coordinator's clock jumps past the day's end and its close delay
      long now = clock.millis();
      long epochEnd = (now / day + 1) * day;
      clock.offset += epochEnd + 120_000 - now;
      List<EpochRecord> closed = c.epochs().tick();
      assertEquals(1, closed.size(), "the day with the reports closed");
      long epoch = closed.get(0).epoch();
      Map<String, CoverageSummary> summaries = new HashMap<>();
      for (CoverageSummary s : c.store().verdicts().coverage(epoch)) {
        summaries.put(s.deviceId(), s);
      }
      for (Node n : nodes) {
        String id = n.signer().deviceId().toString();
        CoverageSummary s = summaries.get(id);
        assertTrue(s != null && s.reciprocal(), "reciprocal: " + s);
        assertEquals(1, s.validBeacons(), s.toString());
        assertEquals(2, s.validWitnesses(), s.toString());
        assertTrue(s.hexScale() > 0 && s.hexScale() <= 1, s.toString());
        for (EnvelopeRow r : c.store().envelopes().envelopesOf(id, 0, 100)) {
          Telemetry t = Telemetry.parseFrom(SignedEnvelope.parseFrom(c.store().envelopes().envelopeBytes(r.hash()).orElseThrow()).getTelemetry());
          Verdict v = c.store().verdicts().verdictOf(r.hash()).orElseThrow().verdict();
          assertEquals(VerdictStatus.VALID, v.status(), v.reason() + ": " + v.explanation());
          assertEquals(WorkReason.OK, v.reason(), v.explanation());
          double[] u = c.store().verdicts().coverageUnits(r.hash()).orElseThrow();
          CoverageReport cr = t.getCoverage();
          if (cr.getRole() == CoverageReport.Role.BEACON) {
            // HIP-15: two witnesses, N = 4: the beaconer earns 2/4, times its hex scale
            assertTrue(v.explanation().contains("2 witnesses counted, 2 rewarded: HIP-15 units 0.5000 x hex scale "
                + String.format(Locale.ROOT, "%.4f = %.4f", s.hexScale(), 0.5 * s.hexScale())), v.explanation());
            assertTrue(v.explanation().startsWith("beacon at 868.100 MHz, 14.0 dBm, entropy #"), v.explanation());
          } else {
            Node b = nodes.stream().filter(x -> java.util.Arrays.equals(dev.popw.agent.coverage.Beacon.tagOf(x.signer().deviceId().toBytes()),
                cr.getBeaconerId().toByteArray())).findFirst().orElseThrow();
            double d = haversine(b.lat(), b.lon(), n.lat(), n.lon());
            double fspl = 20 * Math.log10(d) + 20 * Math.log10(868.1e6) - 147.55;
            double rssi = rssiOf.get(id + " " + b.signer().deviceId());
            assertEquals(rssi, cr.getRssiDbm(), 1e-6, "the agent reports the power the radio delivered");
            CoverageSummary bs = summaries.get(b.signer().deviceId().toString());
            String expected = String.format(Locale.ROOT, "witnessed %s at %.0f m (H3 grid distance ", b.signer().deviceId(), d);
            assertTrue(v.explanation().startsWith(expected), expected + " in " + v.explanation());
            assertTrue(v.explanation().contains(String.format(Locale.ROOT, "%.1f dBm (free space allows %.1f dBm)", rssi,
                14 + 1.2 + 1.2 - fspl)), v.explanation());
            assertTrue(v.explanation().endsWith(String.format(Locale.ROOT, "HIP-15 units 1.0000 (w = 2) x hex scale %.4f = %.4f",
                bs.hexScale(), bs.hexScale())), v.explanation());
            assertEquals(bs.hexScale(), u[u.length - 1], 1e-9, "stored units: 1 x the beaconer's hex scale");
          }
        }
      }
    } finally {
      for (Node n : nodes) {
        n.agent().close();
        n.forwarder().close();
      }
    }
  }

  private static int count(Coordinator c, Node n) {
    return c.store().envelopes().envelopesOf(n.signer().deviceId().toString(), 0, 100).size();
  }

  private static void send(DatagramSocket s, CoverageSource c, byte[] b) throws Exception {
    s.send(new DatagramPacket(b, b.length, c.address()));
  }
}
