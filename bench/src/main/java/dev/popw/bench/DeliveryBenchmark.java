package dev.popw.bench;

import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.outbox.FsyncPolicy;
import dev.popw.outbox.Outbox;
import dev.popw.outbox.OutboxConfig;
import dev.popw.outbox.OutboxEntry;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.Receipt;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import dev.popw.transport.Acknowledgement;
import dev.popw.transport.Transport;
import dev.popw.transport.TransportListener;
import dev.popw.transport.coap.CoapTransport;
import dev.popw.transport.mqtt.AckMode;
import dev.popw.transport.mqtt.MqttTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;

/**
 * Load generator for the delivery layer; prints its figures. Suites:
 *
 * <pre>
 *   outbox     durable appends/s, fsync per write and group commit (5 ms)
 *   recovery   Outbox.open() time with 1,000,000 entries on disk
 *   mqtt       QoS 1 publishes/s from one client to a local Mosquitto (PUBACK)
 *   coap       confirmable POSTs/s to a Californium server in this JVM
 *   all        everything above
 * </pre>
 *
 * Options: {@code --broker tcp://127.0.0.1:1883}, {@code --dir /tmp/popw-bench}.
 */
public final class DeliveryBenchmark {
  private static final SoftwareSigner RECEIPT_KEY = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
  private DeliveryBenchmark() {}

  public static void main(String[] args) throws Exception {
    String suite = args.length > 0 ? args[0] : "all";
    String broker = "tcp://127.0.0.1:1883";
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "popw-bench");
    BenchArgs.pairsOrExit(args, 1, "usage: DeliveryBenchmark [outbox|recovery|mqtt|coap|all] [--broker URI] [--dir DIR]");
    for (int i = 1; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--broker":
          broker = args[i + 1];
          break;
        case "--dir":
          dir = Path.of(args[i + 1]);
          break;
        default:
          usage("unknown option " + args[i]);
      }
    }
    System.out.printf("machine: %d cpus, java %s, %s%n", Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"), System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    switch (suite) {
      case "outbox" -> outbox(dir);
      case "recovery" -> recovery(dir);
      case "mqtt" -> mqtt(broker);
      case "coap" -> coap();
      case "all" -> {
        outbox(dir);
        recovery(dir);
        mqtt(broker);
        coap();
      }
      case "-h", "--help" -> usage(null);
      default -> usage("unknown suite " + suite);
    }
  }

  private static void usage(String error) {
    if (error != null) {
      System.err.println(error);
    }
    System.err.println("usage: DeliveryBenchmark [outbox|recovery|mqtt|coap|all] [--broker URI] [--dir DIR]");
    System.exit(error == null ? 0 : 2);
  }

  // ------------------------------------------------------------------ envelopes

  private static List<byte[]> envelopes(int n) {
    SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    AtomicLong seq = new AtomicLong(1);
    EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(seq::getAndIncrement).networkId("popw-bench").build();
    List<byte[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(sealer.seal(SensorReading.newBuilder()
          .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(20 + i % 10).setUnit(Unit.CELSIUS))
          .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.PRESSURE).setValue(101325).setUnit(Unit.PASCAL))
          .build()).bytes());
    }
    return out;
  }

  // ------------------------------------------------------------------ outbox

  private static void outbox(Path base) throws Exception {
    List<byte[]> env = envelopes(1000);
    System.out.printf("%nOutbox appends (payload %d bytes, one producer)%n", env.get(0).length);
    Path d1 = fresh(base.resolve("fsync"));
    try (Outbox o = Outbox.open(OutboxConfig.builder(d1).fsync(FsyncPolicy.everyWrite()).build())) {
      int n = 0;
      long start = System.nanoTime();
      while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5)) {
        o.append(env.get(n % env.size()), 0).join();
        n++;
      }
      double s = (System.nanoTime() - start) / 1e9;
      System.out.printf("  fsync per write, append + wait each : %,10.0f appends/s  (%d in %.1f s, %.2f ms each)%n", n / s, n, s, 1000 * s / n);
    }
    for (int ms : new int[] {5, 20}) {
      Path d2 = fresh(base.resolve("group" + ms));
      try (Outbox o = Outbox.open(OutboxConfig.builder(d2).maxBytes(1L << 30).fsync(FsyncPolicy.groupCommit(Duration.ofMillis(ms))).build())) {
        int n = 200_000;
        long start = System.nanoTime();
        CompletableFuture<OutboxEntry> last = null;
        for (int i = 0; i < n; i++) {
          last = o.append(env.get(i % env.size()), 0);
        }
        last.join();
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("  group commit %2d ms, pipelined       : %,10.0f appends/s  (%d durable in %.2f s)%n", ms, n / s, n, s);
      }
    }
  }

  // ------------------------------------------------------------------ recovery

  private static void recovery(Path base) throws Exception {
    int n = 1_000_000;
    List<byte[]> env = envelopes(1000);
    Path d = fresh(base.resolve("recovery"));
    OutboxConfig cfg = OutboxConfig.builder(d).maxBytes(2L << 30).fsync(FsyncPolicy.groupCommit(Duration.ofMillis(20))).build();
    System.out.printf("%nOutbox recovery with %,d entries%n", n);
    try (Outbox o = Outbox.open(cfg)) {
      CompletableFuture<OutboxEntry> last = null;
      for (int i = 0; i < n; i++) {
        last = o.append(env.get(i % env.size()), 0);
      }
      last.join();
      // acknowledge a prefix, as a device that delivered part of its backlog
      for (OutboxEntry e : o.poll(1000)) {
        o.acknowledge(e.id());
      }
      System.out.printf("  filled: %s%n", o.stats());
    }
    for (int run = 1; run <= 3; run++) {
      long start = System.nanoTime();
      try (Outbox o = Outbox.open(cfg)) {
        double openMs = (System.nanoTime() - start) / 1e6;
        long t1 = System.nanoTime();
        List<OutboxEntry> first = o.poll(1);
        double firstMs = (System.nanoTime() - t1) / 1e6;
        System.out.printf("  run %d: open %.1f ms, first entry (id %d) after %.2f ms more, pending %,d%n",
            run, openMs, first.get(0).id(), firstMs, o.stats().pending());
        if (run == 3) {
          long t2 = System.nanoTime();
          long read = first.size();
          List<OutboxEntry> batch;
          while (!(batch = o.poll(10_000)).isEmpty()) {
            read += batch.size();
          }
          System.out.printf("  reading back all %,d entries with CRC checks: %.2f s%n", read, (System.nanoTime() - t2) / 1e9);
        }
      }
    }
    fresh(d);
  }

  // ------------------------------------------------------------------ transports

  private static void mqtt(String broker) throws Exception {
    MqttTransport t = MqttTransport.builder().serverUri(broker).ackMode(AckMode.PUBACK).inFlightWindow(1000).build();
    System.out.printf("%nMQTT QoS 1 to %s, one client, PUBACK%n", broker);
    drive(t, 100_000);
  }

  private static void coap() throws Exception {
    CoapConfig.register();
    UdpConfig.register();
    Configuration cfg = Configuration.createStandardWithoutFile();
    CoapServer server = new CoapServer(cfg);
    CoapEndpoint ep = new CoapEndpoint.Builder().setConfiguration(cfg).setInetSocketAddress(new InetSocketAddress("127.0.0.1", 0)).build();
    server.addEndpoint(ep);
    CoapResource v1 = new CoapResource("v1");
    v1.add(new CoapResource("telemetry") {
      @Override
      public void handlePOST(CoapExchange exchange) {
        // Signed per envelope, as the coordinator does, so the client's check is in the numbers.
        byte[] hash;
        try {
          hash = dev.popw.envelope.Envelopes.hash(dev.popw.proto.v1.SignedEnvelope.parseFrom(exchange.getRequestPayload())
              .getTelemetry().toByteArray());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          exchange.respond(CoAP.ResponseCode.BAD_REQUEST);
          return;
        }
        exchange.respond(CoAP.ResponseCode.CREATED, dev.popw.receipt.Receipts.sign(Receipt.newBuilder()
            .setStatus(Receipt.Status.ACCEPTED).setSequence(1)
            .setEnvelopeHash(com.google.protobuf.ByteString.copyFrom(hash)).build(), RECEIPT_KEY));
      }
    });
    server.add(v1);
    server.start();
    try {
      for (int window : new int[] {1, 32}) {
        CoapTransport t = CoapTransport.builder().uri("coap://127.0.0.1:" + ep.getAddress().getPort() + "/v1/telemetry")
            .inFlightWindow(window).build();
        System.out.printf("%nCoAP confirmable POST to Californium in this JVM (server and client share the 2 cores), window %d%n", window);
        drive(t, window == 1 ? 10_000 : 50_000);
      }
    } finally {
      server.destroy();
    }
  }

  /** Sends n envelopes through a transport with its in-flight window; prints rate and latency. */
  private static void drive(Transport t, int n) throws Exception {
    List<byte[]> env = envelopes(1000);
    SoftwareSigner who = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    CompletableFuture<Void> up = new CompletableFuture<>();
    t.start(who.deviceId(), dev.popw.receipt.ReceiptTrust.pinned(RECEIPT_KEY.publicKey()), new TransportListener() {
      @Override
      public void connected() {
        up.complete(null);
      }

      @Override
      public void disconnected(Throwable cause) {}
    });
    up.get(10, TimeUnit.SECONDS);
    int window = t.maxInFlight();
    byte[] hash = new byte[32];
    for (int round = 0; round < 2; round++) { // round 0 warms up
      int count = round == 0 ? Math.min(n, 5_000) : n;
      Semaphore permits = new Semaphore(window);
      long[] latencies = new long[count];
      AtomicLong failures = new AtomicLong();
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        permits.acquire();
        int idx = i;
        long sentAt = System.nanoTime();
        CompletableFuture<Acknowledgement> f = t.send(env.get(i % env.size()), hash);
        f.whenComplete((a, e) -> {
          latencies[idx] = System.nanoTime() - sentAt;
          if (e != null) {
            failures.incrementAndGet();
          }
          permits.release();
        });
      }
      permits.acquire(window);
      double s = (System.nanoTime() - start) / 1e9;
      if (round == 1) {
        java.util.Arrays.sort(latencies);
        System.out.printf("  %,10.0f msgs/s  (%,d in %.2f s, window %d, %d failed, latency p50 %.2f ms p99 %.2f ms)%n",
            count / s, count, s, window, failures.get(), latencies[count / 2] / 1e6, latencies[(int) (count * 0.99)] / 1e6);
      }
    }
    t.close();
  }

  private static Path fresh(Path d) throws IOException {
    if (Files.exists(d)) {
      try (Stream<Path> s = Files.walk(d)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return d;
  }
}
