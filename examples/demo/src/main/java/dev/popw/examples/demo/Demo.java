package dev.popw.examples.demo;

import dev.popw.agent.Agent;
import dev.popw.agent.AgentSettings;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.api.RestApi;
import dev.popw.coordinator.chain.ChainSettings;
import dev.popw.coordinator.chain.DevChain;
import dev.popw.coordinator.chain.EvmClient;
import dev.popw.coordinator.chain.ProofBatchRegistryContract;
import dev.popw.coordinator.store.BatchSettlement;
import dev.popw.coordinator.store.EnvelopeRow;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Receipt;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.registration.Registrations;
import dev.popw.transport.Acknowledgement;
import dev.popw.transport.TransportListener;
import dev.popw.transport.coap.CoapTransport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole system on one machine, for real: a coordinator in dev mode (embedded MQTT broker,
 * embedded database, a local anvil chain with the contracts deployed), three simulated devices
 * registered through the coordinator's API and attested on-chain, telemetry over MQTT and CoAP,
 * a few bad envelopes rejected with their reasons, verdicts per epoch, rewards per device (owners
 * consent with EIP-712 signatures), an owner's claim paid by the token, an audit of an epoch from its
 * export against the chain, batches sealed and committed on-chain, and one envelope's inclusion
 * checked by the contract itself. Prints a summary; exits non-zero if any
 * step fails.
 */
@Command(name = "popw demo", mixinStandardHelpOptions = true, version = "popw demo 0.1.0",
    description = "Runs the whole system on this machine: the coordinator in dev mode (local anvil chain), three simulated"
        + " devices over MQTT and CoAP, verdicts, rewards per device with their reasons, an owner's claim on-chain, an audit of an"
        + " epoch from its export, batches settled on-chain, one inclusion verified by the contract. Takes under a minute.")
public final class Demo implements Callable<Integer> {
  static final String NETWORK = "popw-devnet";
  static final EvmAddress OWNER = EvmAddress.parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  /** anvil's accounts #1 and #2 (well-known development keys, never for real funds): the two owners. */
  static final org.web3j.crypto.Credentials OWNER_KEY =
      org.web3j.crypto.Credentials.create("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  static final org.web3j.crypto.Credentials SECOND_OWNER_KEY =
      org.web3j.crypto.Credentials.create("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
  static final EvmAddress SECOND_OWNER = EvmAddress.parse(SECOND_OWNER_KEY.getAddress());

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "popw-demo-data",
      description = "Where the demo keeps its keys, databases and chain (emptied first). Default: ${DEFAULT-VALUE}")
  Path data;

  @Option(names = "--seconds", paramLabel = "N", defaultValue = "15",
      description = "How long the devices send telemetry. Default: ${DEFAULT-VALUE}")
  int seconds;

  @Option(names = "--verbose", description = "Show the coordinator's and agents' logs.")
  boolean verbose;

  @Option(names = "--keep-running", description = "After the summary, keep the coordinator, its chain and the explorer"
      + " (http://127.0.0.1:<api port>/explorer/) running until Ctrl-C.")
  boolean keepRunning;

  /** What the demo did, for the summary and for tests. */
  public record Summary(Map<String, Long> acceptedByDevice, long duplicates, Map<String, Long> rejections, List<BatchSettlement> batches,
      boolean inclusionVerified, boolean forgedProofRefused, Map<String, String> attestations, InclusionCheck inclusion,
      Map<String, WorkSummary> work, RewardsRun rewards) {}

  /**
   * The rewards part: each device's total and its zero reasons, what the first owner's claim paid and the second
   * claim paid, the owner's token balance, and the audit of the last epoch.
   */
  public record RewardsRun(Map<String, java.math.BigInteger> earnedByDevice, Map<String, java.util.Set<String>> zeroReasons,
      java.math.BigInteger claimed, java.math.BigInteger secondClaim, java.math.BigInteger balance, long epochs, boolean rootCommitted,
      boolean auditPassed, List<String> auditChecks) {}

  /** A device's work-layer result over the demo's closed epochs. */
  public record WorkSummary(long valid, long invalid, Map<String, Long> invalidByReason, String example) {}

  /** The demo's epochs: short, so that several close while it runs. */
  static final Duration EPOCH = Duration.ofSeconds(10);

  /** What the device's receipt said and what the contract answered. */
  public record InclusionCheck(boolean verified, boolean forgedAccepted, String receiptBatchStatus, String receiptTxHash,
      long receiptBlock) {}

  /** One simulated device of the demo. */
  record DeviceSpec(String name, KeyType keyType, DeviceKind kind, String transport, String source) {}

  static final List<DeviceSpec> DEVICES = List.of(
      new DeviceSpec("weather-station", KeyType.ED25519, DeviceKind.SENSOR, "mqtt", "sensor"),
      new DeviceSpec("gpu-node", KeyType.ECDSA_SECP256K1, DeviceKind.GPU, "mqtt", "gpu"),
      new DeviceSpec("coverage-hotspot", KeyType.ECDSA_P256, DeviceKind.COVERAGE, "coap", "coverage"));

  public static void main(String[] args) {
    boolean verbose = List.of(args).contains("--verbose");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "error");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    System.exit(new CommandLine(new Demo()).execute(args));
  }

  @Override
  public Integer call() {
    try {
      run(data, Duration.ofSeconds(Math.max(3, seconds)), System.out, keepRunning);
      return 0;
    } catch (DemoException e) {
      System.out.println();
      System.out.println("demo FAILED: " + e.getMessage());
      return 1;
    }
  }

  /** A step failed; the message says which and why. */
  public static final class DemoException extends Exception {
    DemoException(String message) {
      super(message);
    }

    DemoException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Runs the scenario; everything it starts is stopped before it returns. */
  public static Summary run(Path data, Duration sendFor, PrintStream out) throws DemoException {
    return run(data, sendFor, out, false);
  }

  /**
   * Runs the scenario; with {@code keepRunning}, the coordinator (and its chain and explorer) then
   * runs on until the process is stopped (Ctrl-C), else everything it starts is stopped before it returns.
   */
  public static Summary run(Path data, Duration sendFor, PrintStream out, boolean keepRunning) throws DemoException {
    long t0 = System.nanoTime();
    Steps steps = new Steps(out, 12);
    steps.begin("Preparing " + data.toAbsolutePath());
    clean(data);
    Path anvil;
    try {
      anvil = DevChain.findAnvil("");
    } catch (RuntimeException e) {
      throw new DemoException(e.getMessage());
    }
    steps.done("anvil " + anvil);

    steps.begin("Starting the coordinator in dev mode (embedded MQTT broker and database, local chain, contracts)");
    int mqttPort = freeTcpPort();
    int coapPort = freeUdpPort();
    int apiPort = freeTcpPort();
    CoordinatorSettings cs = CoordinatorSettings.defaults().withNetwork(NETWORK).withDataDirectory(data.resolve("coordinator"))
        .withEmbeddedMqtt(mqttPort).withCoap("127.0.0.1", coapPort, -1, Map.of()).withApiPort(apiPort)
        .withBatch(10_000, Duration.ofSeconds(4)).withEpochs(EPOCH, Duration.ofSeconds(1)).toBuilder()
        // The demo's agents read once a second: completeness counts one-second slots.
        .sensorRules(dev.popw.coordinator.validation.sensor.SensorRules.defaults().withTiming(Duration.ofMinutes(5), Duration.ofHours(4),
            Duration.ofSeconds(1))).build()
        .withChain(new ChainSettings("dev", "", 0, null, "", "", 1, Duration.ofMillis(200), Duration.ofMinutes(3), anvil.toString(), 0));
    // The token's epoch 0 starts with the demo's current epoch, so the demo's epochs emit the full first-epoch amount.
    long now = System.currentTimeMillis();
    cs = cs.toBuilder().rewards(dev.popw.coordinator.rewards.RewardSettings.defaults()
        .withGenesis(java.time.Instant.ofEpochMilli(now - Math.floorMod(now, EPOCH.toMillis())))).build();
    Coordinator coordinator;
    try {
      coordinator = Coordinator.start(cs);
    } catch (RuntimeException e) {
      throw new DemoException("the coordinator did not start: " + e.getMessage(), e);
    }
    List<Agent> agents = new ArrayList<>();
    try {
      RestApi.ChainInfo chain = coordinator.chainInfo();
      steps.done(String.format("MQTT tcp/%d, CoAP udp/%d, API http://127.0.0.1:%d, chain %d at %s%n"
          + "      DeviceRegistry %s, ProofBatchRegistry %s", mqttPort, coapPort, apiPort, chain.chainId(), chain.rpcUrl(),
          chain.deviceRegistry(), chain.batchRegistry()));
      out.println("      Explorer: " + explorerUrl(apiPort) + "  (open it in a browser; --keep-running keeps it up after the demo)");

      steps.begin("Registering three devices with the coordinator (each signs its own registration)");
      Map<String, String> ids = new LinkedHashMap<>();
      for (DeviceSpec d : DEVICES) {
        Path dir = data.resolve(d.name());
        SoftwareSigner key = KeyFiles.generate(d.keyType(), dir.resolve("device.key"));
        ids.put(d.name(), key.deviceId().toString());
        register(apiPort, key, d.kind(), d.name().equals("coverage-hotspot") ? SECOND_OWNER : OWNER);
        key.close();
        out.printf("      %-17s %-16s %-5s %-9s %s%n", d.name(), d.keyType(), d.transport(), d.kind().name().toLowerCase(), shortId(ids.get(d.name())));
      }
      Map<String, String> attestations = new LinkedHashMap<>();
      await(() -> ids.values().stream().allMatch(id -> "ATTESTED".equals(coordinator.store().devices().deviceChain(dev.popw.identity.DeviceId.parse(id))[0])),
          Duration.ofSeconds(60), "the coordinator attests the devices on-chain", out);
      for (Map.Entry<String, String> e : ids.entrySet()) {
        attestations.put(e.getKey(), coordinator.store().devices().deviceChain(dev.popw.identity.DeviceId.parse(e.getValue()))[1]);
      }
      steps.done("all three attested in DeviceRegistry (coverage-hotspot for " + SECOND_OWNER + ", the others for " + OWNER + ")");

      steps.begin("The owners accept their devices: each signs an EIP-712 consent (a registration alone names an owner without asking)");
      for (DeviceSpec d : DEVICES) {
        org.web3j.crypto.Credentials who = d.name().equals("coverage-hotspot") ? SECOND_OWNER_KEY : OWNER_KEY;
        consent(apiPort, who, ids.get(d.name()));
        out.printf("      %-17s accepted by %s%n", d.name(), who.getAddress());
      }
      steps.done("");

      steps.begin("Running the three device agents for " + sendFor.toSeconds() + " s (simulated sources, one reading per second each)");
      for (DeviceSpec d : DEVICES) {
        agents.add(startAgent(data.resolve(d.name()), d, mqttPort, coapPort, apiPort, HexFormat.of().formatHex(coordinator.receiptKey())));
      }
      long end = System.nanoTime() + sendFor.toNanos();
      while (System.nanoTime() < end) {
        sleep(Math.min(3000, Math.max(0, (end - System.nanoTime()) / 1_000_000)));
        out.printf("      %3d s: accepted %s; batches sealed %d, confirmed %d%n", sendFor.toSeconds() - (end - System.nanoTime()) / 1_000_000_000,
            accepted(coordinator, ids), coordinator.store().batches().batches(0, 10_000).size(),
            coordinator.store().batches().settlementCounts().getOrDefault(BatchSettlement.CONFIRMED, 0L));
      }
      for (Agent a : agents) {
        a.close(); // SIGTERM path: stop sources, flush the outbox
      }
      agents.clear();
      steps.done("agents stopped; outboxes flushed");

      steps.begin("Sending three bad envelopes over CoAP: a tampered one, an unregistered device's, and a replay");
      Misbehaviour bad = misbehave(coordinator, ids.get("weather-station"), coapPort, out);
      steps.done("");

      steps.begin("Closing the epochs: every envelope gets a verdict, explained with its numbers");
      Map<String, WorkSummary> work = closeEpochs(coordinator, ids, out);
      steps.done("");

      steps.begin("Rewards: each epoch's emission split by the devices' work, the root committed on-chain");
      long lastEpoch = coordinator.verdicts().lastClosed().orElseThrow();
      await(() -> coordinator.rewards().orElseThrow().store().row(lastEpoch).map(r -> !r.chainStatus().equals("PENDING")).orElse(false),
          Duration.ofSeconds(60), "epoch " + lastEpoch + "'s rewards are computed and committed", out);
      RewardsPart part = rewards(coordinator, ids, apiPort, out);
      steps.done("");

      steps.begin("Claiming " + OWNER + "'s rewards with the owner's key, then claiming again");
      java.math.BigInteger[] claims = claim(coordinator, apiPort, out);
      steps.done("");

      // the closed epoch with the most evidence (the last one may have closed with none)
      long audited = coordinator.verdicts().epochs(0, 100).stream().max(Comparator.comparingLong(
          dev.popw.coordinator.store.EpochRecord::envelopes)).orElseThrow().epoch();
      steps.begin("Auditing epoch " + audited + " from its export alone: validation and rewards re-run, root checked on-chain");
      Path exportDir = data.resolve("epoch-" + audited);
      dev.popw.coordinator.audit.EpochExport.export(coordinator, audited, exportDir, line -> out.println("      " + line));
      var audit = dev.popw.coordinator.audit.EpochAudit.audit(exportDir, coordinator.chainInfo().rpcUrl(), line -> out.println("      " + line));
      if (!audit.passed()) {
        throw new DemoException("the audit of epoch " + audited + " failed: " + audit.failures());
      }
      steps.done("the same by hand: ./popw coordinator audit " + exportDir + " --rpc " + coordinator.chainInfo().rpcUrl());
      RewardsRun rewardsRun = new RewardsRun(part.earned(), part.zeros(), claims[0], claims[1], claims[2], part.epochs(), part.committed(),
          audit.passed(), audit.checks());

      steps.begin("Sealing the last batch and waiting for every batch to be confirmed on-chain");
      coordinator.batcher().sealAll();
      await(() -> {
        Map<String, Long> c = coordinator.store().batches().settlementCounts();
        return !c.isEmpty() && c.keySet().stream().allMatch(BatchSettlement.CONFIRMED::equals);
      }, Duration.ofSeconds(60), "every batch is confirmed", out);
      List<BatchSettlement> batches = new ArrayList<>();
      for (var b : coordinator.store().batches().batches(0, 10_000)) {
        batches.add(coordinator.store().batches().settlement(b.id()).orElseThrow());
      }
      batches.sort(Comparator.comparingLong(s -> s.batch().id()));
      for (BatchSettlement b : batches) {
        out.printf("      batch %-3d %5d envelopes  root %s  %s  tx %s  block %d%n", b.batch().id(), b.batch().envelopeCount(),
            abbrev("0x" + HexFormat.of().formatHex(b.batch().merkleRoot())), b.status(), abbrev(b.txHash()), b.blockNumber());
      }
      steps.done(batches.size() + " batches committed to ProofBatchRegistry, one transaction each");

      steps.begin("Checking one envelope's inclusion on-chain, from its receipt, through the contract");
      InclusionCheck verdict = verifyInclusion(coordinator, apiPort, ids.get("coverage-hotspot"), out);
      if (!verdict.verified()) {
        throw new DemoException("the contract did not confirm the envelope's inclusion");
      }
      if (verdict.forgedAccepted()) {
        throw new DemoException("the contract accepted a forged proof");
      }
      steps.done("");

      Map<String, Long> acceptedBy = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : ids.entrySet()) {
        acceptedBy.put(e.getKey(), coordinator.store().envelopes().countAccepted(e.getValue()));
      }
      // Every rejection the coordinator stored: a bad signature is not counted against the device
      // whose key it claims, so per-device counts would miss it.
      Map<String, Long> rejections = new TreeMap<>(coordinator.store().envelopes().rejectionCounts(null));
      Summary summary = new Summary(acceptedBy, bad.duplicates(), rejections, batches, verdict.verified(), !verdict.forgedAccepted(),
          attestations, verdict, work, rewardsRun);
      printSummary(summary, ids, out, (System.nanoTime() - t0) / 1_000_000_000, keepRunning);
      if (keepRunning) {
        out.println();
        out.println("The coordinator and its chain keep running: explorer at " + explorerUrl(apiPort) + " (Ctrl-C to stop)");
        out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(coordinator::close, "demo-stop"));
        new java.util.concurrent.CountDownLatch(1).await(); // until the process is stopped; the hook closes the coordinator
      }
      return summary;
    } catch (RuntimeException | IOException e) {
      throw new DemoException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DemoException("interrupted");
    } finally {
      for (Agent a : agents) {
        a.close();
      }
      coordinator.close();
    }
  }

  /** The explorer the coordinator serves on its API port. */
  static String explorerUrl(int apiPort) {
    return "http://127.0.0.1:" + apiPort + "/explorer/";
  }

  /** Waits until every epoch with the demo's envelopes is closed, then prints each device's verdicts and quality. */
  private static Map<String, WorkSummary> closeEpochs(Coordinator c, Map<String, String> ids, PrintStream out) throws InterruptedException,
      DemoException {
    var schedule = c.epochs().schedule();
    long last = schedule.epochOf(System.currentTimeMillis());
    out.printf("      epochs of %d s; waiting for epoch %d to close at %s%n", EPOCH.toSeconds(), last,
        java.time.Instant.ofEpochMilli(schedule.closesAt(last)));
    await(() -> c.verdicts().lastClosed().orElse(-1L) >= last, Duration.ofSeconds(30), "epoch " + last + " closes", out);
    Map<String, WorkSummary> work = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : ids.entrySet()) {
      long valid = c.verdicts().countVerdictsOf(e.getValue(), dev.popw.coordinator.validation.VerdictStatus.VALID);
      var invalid = c.verdicts().verdictsOf(e.getValue(), dev.popw.coordinator.validation.VerdictStatus.INVALID, 0, 1000);
      Map<String, Long> byReason = new TreeMap<>();
      invalid.forEach(v -> byReason.merge(v.verdict().reason(), 1L, Long::sum));
      String example = invalid.isEmpty() ? "" : "#" + invalid.get(0).verdict().sequence() + " " + invalid.get(0).verdict().reason() + ": "
          + invalid.get(0).verdict().explanation();
      work.put(e.getKey(), new WorkSummary(valid, invalid.size(), byReason, example));
      var summaries = c.verdicts().summariesOf(e.getValue(), 0, 100).stream()
          .sorted(Comparator.comparingLong((dev.popw.coordinator.store.VerdictStore.StoredSummary x) -> -x.summary().envelopes())).toList();
      out.printf("      %-17s %4d valid, %d invalid %s%n", e.getKey(), valid, invalid.size(), byReason.isEmpty() ? "" : byReason.toString());
      if (!example.isEmpty()) {
        out.printf("      %-17s e.g. %s%n", "", example);
      }
      if (!summaries.isEmpty()) {
        out.printf("      %-17s epoch %d: %s%n", "", summaries.get(0).epoch(), summaries.get(0).summary().explanation());
      }
    }
    var rec = c.verdicts().epoch(last).orElseThrow();
    out.printf("      epoch %d verdict-set hash 0x%s (recompute it: GET /v1/epochs/%d/audit)%n", last,
        java.util.HexFormat.of().formatHex(rec.verdictSetHash()), last);
    return work;
  }

  /** What the bad envelopes step leaves for the summary: the unregistered device's id and the duplicates answered. */
  private record Misbehaviour(String intruderId, long duplicates) {}

  private static Misbehaviour misbehave(Coordinator c, String victimId, int coapPort, PrintStream out) throws IOException, InterruptedException {
    long duplicates = 0;
    EnvelopeRow row = c.store().envelopes().envelopesOf(victimId, 0, 1).get(0);
    byte[] original = c.store().envelopes().envelopeBytes(row.hash()).orElseThrow();
    SignedEnvelope env = SignedEnvelope.parseFrom(original);
    byte[] telemetry = env.getTelemetry().toByteArray();
    telemetry[telemetry.length - 1] ^= 0x01; // one bit of the payload changed after signing
    byte[] tampered = env.toBuilder().setTelemetry(com.google.protobuf.ByteString.copyFrom(telemetry)).build().toByteArray();

    SoftwareSigner stranger = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    String intruderId = stranger.deviceId().toString();
    byte[] unregistered = dev.popw.envelope.EnvelopeSealer.builder().signer(stranger).sequence(new java.util.concurrent.atomic.AtomicLong(1)::getAndIncrement)
        .networkId(NETWORK).build().seal(dev.popw.proto.v1.SensorReading.newBuilder().addMeasurements(
            dev.popw.proto.v1.Measurement.newBuilder().setQuantity(dev.popw.proto.v1.Quantity.TEMPERATURE).setValue(20)
                .setUnit(dev.popw.proto.v1.Unit.CELSIUS)).build()).bytes();

    String[][] cases = {{"tampered copy of a weather-station envelope", "t"}, {"envelope from an unregistered device", "u"},
        {"replay of an accepted weather-station envelope", "r"}};
    byte[][] payloads = {tampered, unregistered, original};
    for (int i = 0; i < cases.length; i++) {
      CoapTransport coap = CoapTransport.builder().uri("coap://127.0.0.1:" + coapPort + "/v1/telemetry").build();
      try {
        coap.start(i == 1 ? stranger.deviceId() : dev.popw.identity.DeviceId.parse(victimId),
            dev.popw.receipt.ReceiptTrust.pinned(c.receiptKey()), TransportListener.NONE);
        Acknowledgement ack = coap.send(payloads[i], dev.popw.envelope.Envelopes.hash(SignedEnvelope.parseFrom(payloads[i])
            .getTelemetry().toByteArray())).get(15, TimeUnit.SECONDS);
        Receipt r = ack.receipt().orElseThrow();
        if (r.getStatus() == Receipt.Status.DUPLICATE) {
          duplicates++;
        }
        String reason = r.getReason().isEmpty() || r.getReason().equals(r.getStatus().name()) ? "" : " " + r.getReason();
        out.printf("      %-48s -> %s%s%n", cases[i][0], r.getStatus(), reason);
      } catch (java.util.concurrent.ExecutionException e) {
        if (i == 1 && e.getCause() != null && String.valueOf(e.getCause().getMessage()).contains("4.00")) {
          // An unregistered sender is not authenticated: CoAP answers it with nothing larger than its
          // request (no amplification, docs/security.md), here the bare code. The rejection is stored.
          out.printf("      %-48s -> %s%n", cases[i][0], "4.00, no receipt (an unknown sender gets no answer larger than its request; its rejection is in the summary)");
          continue;
        }
        throw new IOException("no receipt for the " + cases[i][0] + ": " + e.getMessage(), e);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new IOException("no receipt for the " + cases[i][0] + ": " + e.getMessage(), e);
      } finally {
        coap.close();
      }
    }
    stranger.close();
    return new Misbehaviour(intruderId, duplicates);
  }

  /** Fetches the envelope's receipt from the API and asks the contract. */
  private static InclusionCheck verifyInclusion(Coordinator c, int apiPort, String deviceId, PrintStream out)
      throws IOException, InterruptedException {
    EnvelopeRow row = c.store().envelopes().envelopesOf(deviceId, 0, 1).get(0);
    String hashHex = HexFormat.of().formatHex(row.hash());
    HttpResponse<byte[]> resp = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + apiPort + "/v1/envelopes/" + hashHex + "/receipt")).build(), HttpResponse.BodyHandlers.ofByteArray());
    if (resp.statusCode() != 200) {
      throw new IOException("GET /v1/envelopes/" + hashHex + "/receipt answered " + resp.statusCode());
    }
    // Signed like every receipt: check it against the coordinator's key before believing it.
    dev.popw.receipt.ReceiptCheck check = dev.popw.receipt.ReceiptTrust.pinned(c.receiptKey()).check(resp.body(),
        dev.popw.identity.DeviceId.parse(deviceId));
    if (!check.isValid()) {
      throw new IOException("the receipt from GET /v1/envelopes/" + hashHex + "/receipt does not verify: " + check.failure());
    }
    Receipt r = check.receipt();
    List<byte[]> proof = r.getMerkleProofList().stream().map(com.google.protobuf.ByteString::toByteArray).toList();
    String registry = "0x" + HexFormat.of().formatHex(r.getBatchRegistry().toByteArray());
    String committer = "0x" + HexFormat.of().formatHex(r.getCommitter().toByteArray());
    out.printf("      receipt of envelope %s (coverage-hotspot, sequence %d):%n", abbrev("0x" + hashHex), row.sequence());
    out.printf("        batch %d (%s), root %s, %d proof hashes, tx %s in block %d on chain %d%n", r.getBatchId(), r.getBatchStatus(),
        abbrev("0x" + HexFormat.of().formatHex(r.getMerkleRoot().toByteArray())), proof.size(),
        abbrev("0x" + HexFormat.of().formatHex(r.getTxHash().toByteArray())), r.getBlockNumber(), r.getChainId());
    // A separate client with a throwaway account: anyone can ask the contract.
    try (EvmClient reader = EvmClient.connect(c.chainInfo().rpcUrl(), Credentials.create(Keys.createEcKeyPair()), r.getChainId())) {
      ProofBatchRegistryContract contract = new ProofBatchRegistryContract(reader, registry);
      boolean ok = contract.verifyEnvelope(committer, r.getBatchId(), row.hash(), proof);
      List<byte[]> forged = new ArrayList<>(proof);
      boolean forgedOk;
      if (forged.isEmpty()) {
        byte[] other = row.hash().clone();
        other[0] ^= 1;
        forgedOk = contract.verifyEnvelope(committer, r.getBatchId(), other, proof);
      } else {
        byte[] s = forged.get(0).clone();
        s[31] ^= 1;
        forged.set(0, s);
        forgedOk = contract.verifyEnvelope(committer, r.getBatchId(), row.hash(), forged);
      }
      out.printf("        ProofBatchRegistry(%s).verifyEnvelope(...) = %s; with one proof bit flipped = %s%n", abbrev(registry), ok, forgedOk);
      return new InclusionCheck(ok, forgedOk, r.getBatchStatus().name(), "0x" + HexFormat.of().formatHex(r.getTxHash().toByteArray()), r.getBlockNumber());
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private static void printSummary(Summary s, Map<String, String> ids, PrintStream out, long seconds, boolean keepRunning) {
    out.println();
    out.println("Summary");
    out.println("  devices (owner " + OWNER + "; coverage-hotspot " + SECOND_OWNER + ")");
    for (DeviceSpec d : DEVICES) {
      out.printf("    %-17s %-16s over %-4s accepted %4d   on-chain attestation tx %s%n", d.name(), d.keyType(), d.transport(),
          s.acceptedByDevice().get(d.name()), abbrev(s.attestations().get(d.name())));
    }
    long total = s.acceptedByDevice().values().stream().mapToLong(Long::longValue).sum();
    out.printf("  envelopes: %d accepted, %d duplicate (stored once), %d rejected%s%n", total, s.duplicates(),
        s.rejections().values().stream().mapToLong(Long::longValue).sum(),
        s.rejections().isEmpty() ? "" : " " + s.rejections().toString().replace("=", ": "));
    out.printf("  batches: %d, all CONFIRMED on-chain (%s)%n", s.batches().size(),
        String.join(", ", s.batches().stream().map(b -> "#" + b.batch().id() + " tx " + abbrev(b.txHash())).toList()));
    out.printf("  inclusion: verified by the contract = %s; forged proof refused = %s%n", s.inclusionVerified(), s.forgedProofRefused());
    out.printf("  work: %s%n", String.join("; ", s.work().entrySet().stream()
        .map(e -> e.getKey() + " " + e.getValue().valid() + " valid, " + e.getValue().invalid() + " invalid").toList()));
    RewardsRun r = s.rewards();
    out.printf("  rewards over %d epochs: %s%n", r.epochs(), String.join("; ", r.earnedByDevice().entrySet().stream()
        .map(e -> e.getKey() + " " + dev.popw.coordinator.rewards.RewardSettings.weiToTokens(e.getValue()) + " POPW").toList()));
    out.printf("  claim: %s POPW paid to %s, a second claim paid %s; balance %s POPW; audit %s%n",
        dev.popw.coordinator.rewards.RewardSettings.weiToTokens(r.claimed()), OWNER,
        dev.popw.coordinator.rewards.RewardSettings.weiToTokens(r.secondClaim()),
        dev.popw.coordinator.rewards.RewardSettings.weiToTokens(r.balance()), r.auditPassed() ? "passed" : "FAILED");
    out.printf(keepRunning ? "  done in %d s; the agents are stopped.%n" : "  done in %d s; everything stopped.%n", seconds);
  }

  private static String accepted(Coordinator c, Map<String, String> ids) {
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, String> e : ids.entrySet()) {
      parts.add(e.getKey() + " " + c.store().envelopes().countAccepted(e.getValue()));
    }
    return String.join(", ", parts);
  }

  private record RewardsPart(Map<String, java.math.BigInteger> earned, Map<String, java.util.Set<String>> zeros, long epochs,
      boolean committed) {}

  /** Prints each device's reward per epoch with its explanation, and the epochs' roots. */
  private static RewardsPart rewards(Coordinator c, Map<String, String> ids, int apiPort, PrintStream out) throws IOException,
      InterruptedException {
    var store = c.rewards().orElseThrow().store();
    List<dev.popw.coordinator.rewards.RewardStore.Row> rows = new ArrayList<>(store.rows(0, 100));
    rows.sort(Comparator.comparingLong(dev.popw.coordinator.rewards.RewardStore.Row::epoch));
    boolean committed = false;
    for (var r : rows) {
      out.printf("      epoch %d: %s POPW emitted, root %s %s%s%n", r.epoch(), dev.popw.coordinator.rewards.RewardSettings.weiToTokens(
          r.distributable()), abbrev("0x" + HexFormat.of().formatHex(r.root())), r.chainStatus(), r.chainTx() == null ? "" : " tx " + abbrev(r.chainTx()));
      committed |= r.chainStatus().equals("COMMITTED");
    }
    Map<String, java.math.BigInteger> earned = new LinkedHashMap<>();
    Map<String, java.util.Set<String>> zeros = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : ids.entrySet()) {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort
          + "/v1/devices/" + java.net.URLEncoder.encode(e.getValue(), java.nio.charset.StandardCharsets.UTF_8) + "/rewards")).build(),
          HttpResponse.BodyHandlers.ofString());
      com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
      java.math.BigInteger total = java.math.BigInteger.ZERO;
      java.util.Set<String> why = new java.util.TreeSet<>();
      String example = null;
      for (com.fasterxml.jackson.databind.JsonNode row : j.path("epochs")) {
        total = total.add(new java.math.BigInteger(row.get("amount").asText()));
        if (!row.get("zero_reason").isNull()) {
          why.add(row.get("zero_reason").asText());
        }
        if (example == null) {
          example = "epoch " + row.get("epoch").asLong() + " " + row.get("pool").asText() + ": "
              + (row.get("zero_reason").isNull() ? "" : row.get("zero_reason").asText() + ", ") + row.get("explanation").asText();
        }
      }
      earned.put(e.getKey(), total);
      zeros.put(e.getKey(), why);
      out.printf("      %-17s earned %s POPW%s%n", e.getKey(), dev.popw.coordinator.rewards.RewardSettings.weiToTokens(total),
          why.isEmpty() ? "" : "; zero in some pools: " + why);
      if (example != null) {
        out.printf("      %-17s e.g. %s%n", "", example.length() > 220 ? example.substring(0, 217) + "..." : example);
      }
    }
    return new RewardsPart(earned, zeros, rows.size(), committed);
  }

  /** Claims the first owner's rewards with its key, then claims again: returns {paid, paid again, balance}. */
  private static java.math.BigInteger[] claim(Coordinator c, int apiPort, PrintStream out) throws IOException, InterruptedException,
      DemoException {
    var token = c.rewardsContracts().orElseThrow();
    java.math.BigInteger[] result = new java.math.BigInteger[3];
    try (var chain = dev.popw.coordinator.chain.EvmClient.connect(c.chainInfo().rpcUrl(), OWNER_KEY, 0)) {
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort
            + "/v1/owners/" + OWNER + "/rewards")).build(), HttpResponse.BodyHandlers.ofString());
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
        if (r.statusCode() != 200 || !j.path("claim").isObject()) {
          throw new DemoException("no claim for " + OWNER + ": " + r.body());
        }
        java.math.BigInteger before = token.balanceOf(chain, OWNER.toString());
        var tx = chain.execute(j.get("claim").get("to").asText(), j.get("claim").get("calldata").asText());
        java.math.BigInteger after = token.balanceOf(chain, OWNER.toString());
        result[i] = after.subtract(before);
        result[2] = after;
        out.printf("      claim %d: owed %s POPW up to epoch %d, claimable %s; paid %s POPW (tx %s, gas %s); balance %s POPW%n", i + 1,
            dev.popw.coordinator.rewards.RewardSettings.weiToTokens(new java.math.BigInteger(j.get("proof_cumulative").asText())),
            j.get("root_epoch").asLong(), dev.popw.coordinator.rewards.RewardSettings.weiToTokens(new java.math.BigInteger(
                j.get("claimable").asText())), dev.popw.coordinator.rewards.RewardSettings.weiToTokens(result[i]),
            abbrev(tx.getTransactionHash()), tx.getGasUsed(), dev.popw.coordinator.rewards.RewardSettings.weiToTokens(after));
      }
    }
    return result;
  }

  private static void consent(int apiPort, org.web3j.crypto.Credentials owner, String deviceId) throws IOException, InterruptedException {
    String body = "{\"owner\":\"" + owner.getAddress() + "\",\"signature\":\""
        + dev.popw.coordinator.rewards.Consent.hex(dev.popw.coordinator.rewards.Consent.sign(owner, NETWORK, deviceId)) + "\"}";
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort
        + "/v1/devices/" + java.net.URLEncoder.encode(deviceId, java.nio.charset.StandardCharsets.UTF_8) + "/consent"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IOException("consent refused: " + r.body());
    }
  }

  private static void register(int apiPort, SoftwareSigner key, DeviceKind kind, EvmAddress owner) throws IOException, InterruptedException {
    byte[] signed = Registrations.sign(key, owner, kind, null, NETWORK, Clock.systemUTC());
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/v1/devices"))
        .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(signed)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IOException("registration refused: " + r.body());
    }
  }

  private static Agent startAgent(Path dir, DeviceSpec d, int mqttPort, int coapPort, int apiPort, String coordinatorKey) throws IOException {
    Path cfg = dir.resolve("agent.toml");
    Files.writeString(cfg, String.join("\n", "network_id = \"" + NETWORK + "\"", "key_file = \"" + dir.resolve("device.key") + "\"",
        "state_dir = \"" + dir.resolve("state") + "\"", "kind = \"" + d.kind().name().toLowerCase() + "\"", "[transport]",
        "url = \"" + (d.transport().equals("mqtt") ? "tcp://127.0.0.1:" + mqttPort : "coap://127.0.0.1:" + coapPort) + "\"",
        "reconnect_max_seconds = 2", "[coordinator]", "api_url = \"http://127.0.0.1:" + apiPort + "\"",
        "key = \"" + coordinatorKey + "\"", "[sources.simulated]", d.source() + " = true", "interval_seconds = 1", ""));
    return Agent.start(AgentSettings.load(cfg, Map.of()));
  }

  private static void clean(Path data) throws DemoException {
    try {
      if (Files.exists(data)) {
        if (!Files.exists(data.resolve(".popw-demo"))) {
          throw new DemoException(data + " exists and is not a demo folder; choose another with --data");
        }
        try (Stream<Path> walk = Files.walk(data)) {
          for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
      Files.createDirectories(data);
      Files.writeString(data.resolve(".popw-demo"), "made by ./popw demo; emptied by the next run\n");
    } catch (IOException e) {
      throw new DemoException("cannot prepare " + data + ": " + e.getMessage(), e);
    }
  }

  private static void await(BooleanSupplier condition, Duration timeout, String what, PrintStream out) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long lastDot = System.nanoTime();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting until " + what);
      }
      if (System.nanoTime() - lastDot > 2_000_000_000L) {
        out.println("      ... waiting until " + what);
        lastDot = System.nanoTime();
      }
      Thread.sleep(100);
    }
  }

  private static void sleep(long ms) throws InterruptedException {
    Thread.sleep(ms);
  }

  static String shortId(String did) {
    return did.length() > 24 ? did.substring(0, 16) + "…" + did.substring(did.length() - 6) : did;
  }

  static String abbrev(String hex) {
    return hex == null ? "-" : hex.length() > 14 ? hex.substring(0, 10) + "…" + hex.substring(hex.length() - 4) : hex;
  }

  private static int freeTcpPort() throws DemoException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new DemoException("no free TCP port: " + e.getMessage());
    }
  }

  private static int freeUdpPort() throws DemoException {
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new DemoException("no free UDP port: " + e.getMessage());
    }
  }

  /** Numbered progress lines with timings. */
  static final class Steps {
    private final PrintStream out;
    private final int total;
    private int n;
    private long started;

    Steps(PrintStream out, int total) {
      this.out = out;
      this.total = total;
    }

    void begin(String what) {
      n++;
      started = System.nanoTime();
      out.printf("[%d/%d] %s%n", n, total, what);
    }

    void done(String result) {
      double s = (System.nanoTime() - started) / 1e9;
      out.printf("      ok (%.1f s)%s%n", s, result.isEmpty() ? "" : ": " + result);
    }
  }
}
