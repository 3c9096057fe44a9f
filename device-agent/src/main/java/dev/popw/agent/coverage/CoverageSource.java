package dev.popw.agent.coverage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.popw.agent.source.Source;
import dev.popw.agent.source.TelemetrySink;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.Telemetry;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Radio coverage through a LoRa concentrator's packet forwarder (Semtech GWMP over UDP). Every
 * PoPW beacon the concentrator hears becomes a signed WITNESS report (RSSI, SNR, frequency, data
 * rate, concentrator timestamp, and the entropy prefix, beacon id and beaconer tag it carried).
 * The agent also beacons itself, once in every UTC-aligned {@code beaconInterval} (the coordinator
 * accepts one valid beacon per device and interval), at a random time at least {@code margin}
 * from the interval's edges, by sending a PULL_RESP txpk to the concentrator, and reports each
 * beacon it sends (role BEACON). Each beacon is built from the coordinator's current entropy,
 * fetched and checked just before ({@link EntropySource}); without fresh entropy it is skipped.
 * Malformed packets are counted and logged, never fatal.
 */
public final class CoverageSource implements Source {
  private static final Logger LOG = LoggerFactory.getLogger(CoverageSource.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Radio settings of our own beacons. */
  public record BeaconRadio(double frequencyMhz, String dataRate, int powerDbm) {}

  private final InetSocketAddress bind;
  private final Duration beaconInterval;
  private final Duration margin;
  private final EntropySource entropy;
  private final byte[] ownDeviceId;
  private final double antennaGainDbi;
  private final BeaconRadio radio;
  private final byte[] ownTag;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final AtomicLong witnesses = new AtomicLong();
  private final AtomicLong beacons = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicLong ignored = new AtomicLong();
  private volatile DatagramSocket socket;
  private volatile SocketAddress gateway;
  private volatile long gatewayEui;
  private volatile String lastProblem;
  private volatile ScheduledFuture<?> nextBeacon;
  private volatile boolean running;
  private TelemetrySink sink;
  private ScheduledExecutorService scheduler;
  private int downlinkToken;

  /**
   * @param beaconInterval one beacon in each UTC-aligned interval of this length
   * @param margin beacons keep at least this far from an interval's edges (at most a quarter of it)
   * @param ownDeviceId this device's id bytes (its beacons carry the tag derived from them)
   * @param antennaGainDbi the antenna gain this device declares in its reports; 0: none declared
   * @param entropy the coordinator's entropy, checked
   */
  public CoverageSource(String host, int port, Duration beaconInterval, Duration margin, BeaconRadio radio, byte[] ownDeviceId,
      double antennaGainDbi, EntropySource entropy, Clock clock) {
    this.bind = new InetSocketAddress(host, port);
    this.beaconInterval = beaconInterval;
    this.margin = margin.compareTo(beaconInterval.dividedBy(4)) > 0 ? beaconInterval.dividedBy(4) : margin;
    this.radio = radio;
    this.ownDeviceId = ownDeviceId.clone();
    this.ownTag = Beacon.tagOf(ownDeviceId);
    this.antennaGainDbi = antennaGainDbi;
    this.entropy = entropy;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "coverage";
  }

  @Override
  public void start(TelemetrySink sink, ScheduledExecutorService scheduler) {
    this.sink = sink;
    this.scheduler = scheduler;
    try {
      socket = new DatagramSocket(bind);
    } catch (SocketException e) {
      throw new IllegalStateException("cannot listen for the packet forwarder on udp/" + bind.getPort() + ": " + e.getMessage(), e);
    }
    running = true;
    Thread t = new Thread(this::receiveLoop, "popw-gwmp");
    t.setDaemon(true);
    t.start();
    scheduleBeacon(clock.millis());
    LOG.info("coverage: listening for a packet forwarder on udp/{}; one beacon in every {}-s interval, at least {} s from its edges;"
        + " entropy from {}", port(), beaconInterval.toSeconds(), margin.toSeconds(), entropy);
  }

  /** The bound UDP port. */
  public int port() {
    DatagramSocket s = socket;
    return s == null ? -1 : s.getLocalPort();
  }

  /** Schedules the beacon of the first interval whose beacon window has not begun at {@code afterMs}. */
  private void scheduleBeacon(long afterMs) {
    long at = nextBeaconTime(afterMs, beaconInterval.toMillis(), margin.toMillis(), random.nextDouble());
    nextBeacon = scheduler.schedule(() -> {
      try {
        beaconNow();
      } finally {
        if (running) {
          scheduleBeacon(at + 1);
        }
      }
    }, Math.max(0, at - clock.millis()), TimeUnit.MILLISECONDS);
  }

  /**
   * When to beacon next: a random time (u in [0, 1)) in {@code [slot + margin, slot + interval -
   * margin)} of the interval holding {@code afterMs}, or of the next one when that window has
   * already begun. Never two in one interval.
   */
  static long nextBeaconTime(long afterMs, long interval, long margin, double u) {
    long slot = Math.floorDiv(afterMs, interval) * interval;
    if (afterMs > slot + margin) {
      slot += interval;
    }
    return slot + margin + (long) (u * Math.max(1, interval - 2 * margin));
  }

  /**
   * Transmits one beacon through the concentrator now and reports it.
   *
   * @return false when no concentrator has connected yet (nothing sent)
   */
  public synchronized boolean beaconNow() {
    SocketAddress gw = gateway;
    if (gw == null) {
      lastProblem = "no packet forwarder connected (no PULL_DATA yet); beacon skipped";
      LOG.warn("coverage: {}", lastProblem);
      return false;
    }
    dev.popw.entropy.EntropyCheck fresh = entropy.fetch();
    if (!fresh.isValid()) {
      lastProblem = "no fresh coordinator entropy (" + fresh.failure() + ": " + fresh.detail() + "); beacon skipped";
      LOG.warn("coverage: {}", lastProblem);
      return false;
    }
    byte[] value = fresh.entropy().getValue().toByteArray();
    byte[] nonce = new byte[dev.popw.entropy.Entropies.NONCE_BYTES];
    random.nextBytes(nonce);
    byte[] id = dev.popw.entropy.Entropies.beaconId(value, nonce, ownDeviceId);
    byte[] payload = new Beacon(dev.popw.entropy.Entropies.prefix(value), id, ownTag).encode();
    ObjectNode txpk = JSON.createObjectNode();
    ObjectNode t = txpk.putObject("txpk");
    t.put("imme", true);
    t.put("freq", radio.frequencyMhz());
    t.put("rfch", 0);
    t.put("powe", radio.powerDbm());
    t.put("modu", "LORA");
    t.put("datr", radio.dataRate());
    t.put("codr", "4/5");
    t.put("ipol", false);
    t.put("size", payload.length);
    t.put("data", Base64.getEncoder().encodeToString(payload));
    try {
      byte[] out = Gwmp.pullResp(++downlinkToken & 0xFFFF, txpk.toString());
      socket.send(new DatagramPacket(out, out.length, gw));
    } catch (IOException e) {
      lastProblem = "cannot send the beacon to the packet forwarder: " + e.getMessage();
      LOG.warn("coverage: {}", lastProblem);
      return false;
    }
    beacons.incrementAndGet();
    lastProblem = null;
    sink.accept(Telemetry.newBuilder().setCoverage(CoverageReport.newBuilder().setRole(CoverageReport.Role.BEACON)
        .setBeaconId(ByteString.copyFrom(id)).setBeaconEntropy(ByteString.copyFrom(value)).setBeaconNonce(ByteString.copyFrom(nonce))
        .setBeaconerId(ByteString.copyFrom(ownTag)).setFrequencyHz(Math.round(radio.frequencyMhz() * 1_000_000))
        .setTxPowerDbm(radio.powerDbm()).setDataRate(radio.dataRate()).setAntennaGainDbi((float) antennaGainDbi)));
    return true;
  }

  private void receiveLoop() {
    byte[] buf = new byte[65_535];
    while (running) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        socket.receive(p);
      } catch (IOException e) {
        if (running) {
          LOG.warn("coverage: UDP receive failed: {}", e.getMessage());
        }
        continue;
      }
      try {
        handle(Gwmp.decode(p.getData(), p.getLength()), p.getSocketAddress());
      } catch (RuntimeException e) {
        malformed.incrementAndGet();
        lastProblem = "malformed packet from " + p.getSocketAddress() + ": " + e.getMessage();
        LOG.warn("coverage: {}", lastProblem);
      }
    }
  }

  private void handle(Gwmp.Packet pkt, SocketAddress from) {
    switch (pkt.type()) {
      case Gwmp.PULL_DATA -> {
        if (gateway == null || !gateway.equals(from)) {
          LOG.info("coverage: packet forwarder {} connected from {}", String.format("%016X", pkt.gatewayEui()), from);
        }
        gateway = from;
        gatewayEui = pkt.gatewayEui();
        send(Gwmp.ack(Gwmp.PULL_ACK, pkt.token()), from);
      }
      case Gwmp.PUSH_DATA -> {
        send(Gwmp.ack(Gwmp.PUSH_ACK, pkt.token()), from); // ack first: the forwarder only wants to know it arrived
        pushData(pkt.json());
      }
      case Gwmp.TX_ACK -> {
        String err = pkt.json().isBlank() ? "NONE" : parse(pkt.json()).path("txpk_ack").path("error").asText("NONE");
        if (!"NONE".equals(err)) {
          lastProblem = "concentrator refused a beacon: " + err;
          LOG.warn("coverage: {}", lastProblem);
        }
      }
      default -> throw new IllegalArgumentException("unexpected GWMP type " + pkt.type() + " from a gateway");
    }
  }

  private void pushData(String json) {
    JsonNode root = parse(json);
    JsonNode rxpk = root.path("rxpk");
    if (!rxpk.isArray()) {
      return; // a stat-only report
    }
    for (JsonNode rx : rxpk) {
      byte[] data;
      try {
        data = Base64.getDecoder().decode(rx.path("data").asText(""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("rxpk data is not base64");
      }
      Optional<Beacon> b = Beacon.decode(data);
      if (b.isEmpty() || java.util.Arrays.equals(b.get().beaconerTag(), ownTag)) {
        ignored.incrementAndGet(); // ordinary LoRaWAN traffic, or our own beacon echoed
        continue;
      }
      if (!rx.has("rssi") || !rx.has("freq")) {
        throw new IllegalArgumentException("rxpk without rssi or freq");
      }
      double rssi = rx.has("rssis") ? rx.get("rssis").asDouble() : rx.get("rssi").asDouble();
      CoverageReport.Builder w = CoverageReport.newBuilder().setRole(CoverageReport.Role.WITNESS)
          .setBeaconId(ByteString.copyFrom(b.get().beaconId())).setBeaconerId(ByteString.copyFrom(b.get().beaconerTag()))
          .setBeaconEntropy(ByteString.copyFrom(b.get().entropyPrefix())).setAntennaGainDbi((float) antennaGainDbi)
          .setRssiDbm((float) rssi).setSnrDb((float) rx.path("lsnr").asDouble())
          .setFrequencyHz(Math.round(rx.get("freq").asDouble() * 1_000_000)).setDataRate(rx.path("datr").asText(""))
          .setConcentratorTmst((int) rx.path("tmst").asLong()).setReceivedAtMs(clock.millis());
      witnesses.incrementAndGet();
      sink.accept(Telemetry.newBuilder().setCoverage(w));
    }
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("JSON is malformed: " + e.getOriginalMessage());
    }
  }

  private void send(byte[] data, SocketAddress to) {
    try {
      socket.send(new DatagramPacket(data, data.length, to));
    } catch (IOException e) {
      LOG.warn("coverage: cannot answer {}: {}", to, e.getMessage());
    }
  }

  public long witnesses() {
    return witnesses.get();
  }

  public long beacons() {
    return beacons.get();
  }

  public long malformed() {
    return malformed.get();
  }

  @Override
  public String status() {
    String gw = gateway == null ? "no packet forwarder connected" : String.format("packet forwarder %016X", gatewayEui);
    return String.format("udp/%d, %s, %d witnesses, %d beacons, %d malformed, %d other packets%s", port(), gw, witnesses.get(),
        beacons.get(), malformed.get(), ignored.get(), lastProblem == null ? "" : "; last problem: " + lastProblem);
  }

  @Override
  public void close() {
    running = false;
    ScheduledFuture<?> b = nextBeacon;
    if (b != null) {
      b.cancel(false);
    }
    DatagramSocket s = socket;
    if (s != null) {
      s.close();
    }
  }

  /** For tests: the loopback address the source listens on. */
  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
  }
}
