package dev.popw.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popw.agent.coverage.CoverageSource;
import dev.popw.agent.gpu.GpuSource;
import dev.popw.agent.gpu.NvidiaSmi;
import dev.popw.agent.sensor.Bme280Source;
import dev.popw.agent.sensor.Ds18b20Source;
import dev.popw.agent.sim.SimulatedSource;
import dev.popw.agent.source.Source;
import dev.popw.client.DeviceClient;
import dev.popw.client.DeviceStatus;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.DeviceSigners;
import dev.popw.proto.v1.Telemetry;
import dev.popw.receipt.ReceiptTrust;
import dev.popw.transport.Transport;
import dev.popw.transport.coap.CoapTransport;
import dev.popw.transport.mqtt.MqttTransport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent: the device key, a {@link DeviceClient} (durable outbox + transport) and the
 * enabled sources. It writes {@code status.json} into the state directory every few seconds for
 * {@code popw-agent status}. {@link #close()} stops the sources, then tries for up to {@code
 * flushTimeout} to deliver what is queued; anything left stays in the outbox for the next start.
 */
public final class Agent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
  public static final String STATUS_FILE = "status.json";

  private final DeviceSigner signer;
  private final DeviceClient client;
  private final List<Source> sources;
  private final ScheduledExecutorService scheduler;
  private final Path stateDir;
  private final Duration flushTimeout;
  /** Held while handing telemetry to the outbox and while taking the status snapshot, so that the counts agree. */
  private final Object counts = new Object();
  /** One writer of status.json at a time (the schedule, close, tests); each takes its snapshot inside. */
  private final Object statusFile = new Object();
  private final AtomicLong produced = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final long recoveredAtStart;
  private final Instant startedAt = Instant.now();
  private volatile boolean closed;

  private Agent(DeviceSigner signer, DeviceClient client, List<Source> sources, Path stateDir, Duration flushTimeout) {
    this.signer = signer;
    this.client = client;
    this.sources = sources;
    this.stateDir = stateDir;
    this.flushTimeout = flushTimeout;
    this.recoveredAtStart = client.status().queued();
    this.scheduler = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "popw-agent-source");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts the agent from its settings.
   *
   * @throws AgentSettingsException for a bad setting; {@link dev.popw.identity.SignerException} for a key problem
   */
  public static Agent start(AgentSettings s) {
    DeviceSigner signer = DeviceSigners.open(s.string("key_file"));
    List<Source> sources = sources(s, signer.deviceId().toBytes());
    if (sources.isEmpty()) {
      signer.close();
      throw new AgentSettingsException("no source is enabled: enable at least one [sources.*] section in the settings file"
          + " (for a try-out: POPW_SOURCES_SIMULATED_SENSOR=true)");
    }
    String mismatch = kindMismatch(s);
    if (mismatch != null) {
      signer.close();
      throw new AgentSettingsException(mismatch);
    }
    Transport transport = transport(s);
    if (s.bool("sources.gpu.enabled") && s.bool("sources.gpu.proofs")) {
      sources.add(proofResponder(s, signer, transport));
    }
    return start(s, signer, transport, sources, Duration.ofSeconds(10));
  }

  /**
   * The GPU challenge responder, with the prover the settings ask for ({@code sources.gpu.prover}:
   * auto, cuda or cpu), listening on the transport (MQTT topic, or CoAP polls).
   */
  static dev.popw.agent.gpu.ProofResponder proofResponder(AgentSettings s, DeviceSigner signer, Transport transport) {
    String mode = s.string("sources.gpu.prover").trim().toLowerCase(java.util.Locale.ROOT);
    if (!mode.equals("auto") && !mode.equals("cuda") && !mode.equals("cpu")) {
      throw new AgentSettingsException("sources.gpu.prover must be auto, cuda or cpu, got '" + s.string("sources.gpu.prover") + "'");
    }
    int threads = (int) s.integer("sources.gpu.cpu_threads", 0, 4096);
    dev.popw.agent.gpu.GpuProver prover;
    String status;
    if (mode.equals("cpu")) {
      prover = new dev.popw.agent.gpu.CpuGpuProver(threads);
      status = "CPU prover (" + prover.describe() + ", sources.gpu.prover = cpu)";
    } else {
      dev.popw.agent.gpu.CudaProver.Detection d = dev.popw.agent.gpu.CudaProver.detect(s.string("sources.gpu.cuda_prover"));
      if (d.prover() != null) {
        prover = d.prover();
        status = "CUDA prover (" + prover.describe() + "; not yet measured on a GPU, see docs/gpu-proofs.md)";
      } else if (mode.equals("cuda")) {
        throw new AgentSettingsException("sources.gpu.prover = cuda, but there is no CUDA prover: " + d.reason());
      } else {
        prover = new dev.popw.agent.gpu.CpuGpuProver(threads);
        status = "CPU prover (" + prover.describe() + "), no CUDA prover: " + d.reason();
      }
    }
    dev.popw.agent.gpu.ProofResponder r = new dev.popw.agent.gpu.ProofResponder(signer.deviceId(), receiptTrust(s), prover, status,
        Clock.systemUTC());
    if (!transport.onChallenges(r::onMessage, s.seconds("sources.gpu.challenge_poll_seconds", 1, 3600))) {
      LOG.warn("gpu-proofs: the transport {} cannot bring challenges", transport.describe());
    }
    return r;
  }

  /**
   * Null when every enabled source produces the kind the device registers as (setting {@code kind});
   * otherwise the one-line reason. The coordinator refuses another kind's telemetry as WRONG_KIND,
   * so such a source would only fill the outbox with envelopes that are never accepted.
   */
  static String kindMismatch(AgentSettings s) {
    String kind = s.string("kind").trim().toLowerCase(java.util.Locale.ROOT);
    Map<String, String> kinds = new java.util.LinkedHashMap<>();
    kinds.put("sources.bme280.enabled", "sensor");
    kinds.put("sources.ds18b20.enabled", "sensor");
    kinds.put("sources.gpu.enabled", "gpu");
    kinds.put("sources.coverage.enabled", "coverage");
    for (SimulatedSource.Kind k : SimulatedSource.Kind.values()) {
      String name = k.name().toLowerCase(java.util.Locale.ROOT);
      kinds.put("sources.simulated." + name, name);
    }
    for (Map.Entry<String, String> e : kinds.entrySet()) {
      if (s.bool(e.getKey()) && !e.getValue().equals(kind)) {
        String source = e.getKey().replace(".enabled", "").replace("sources.", "");
        return "source '" + source + "' produces " + e.getValue() + " telemetry, but this device is a " + kind + " device (setting 'kind');"
            + " the coordinator refuses another kind's telemetry (WRONG_KIND): run one agent, with its own key, per kind of work";
      }
    }
    return null;
  }

  /** Starts with explicit parts (tests, embedding). */
  public static Agent start(AgentSettings s, DeviceSigner signer, Transport transport, List<Source> sources, Duration flushTimeout) {
    Path state = s.path("state_dir");
    DeviceClient client = DeviceClient.builder().receiptTrust(receiptTrust(s)).signer(signer).transport(transport).stateDirectory(state)
        .networkId(s.string("network_id")).outboxMaxBytes(s.integer("outbox.max_megabytes", 1, 1_000_000) * 1024 * 1024).build();
    Agent a = new Agent(signer, client, sources, state, flushTimeout);
    for (Source src : sources) {
      try {
        src.start(a::submit, a.scheduler);
      } catch (RuntimeException e) {
        a.close();
        throw new AgentSettingsException("source " + src.name() + " cannot start: " + e.getMessage());
      }
    }
    a.scheduler.scheduleAtFixedRate(a::writeStatus, 0, 5, TimeUnit.SECONDS);
    LOG.info("popw-agent running as {} ({}), sources: {}; delivering to {}", signer.deviceId(), signer.keyType(),
        String.join(", ", sources.stream().map(Source::name).toList()), transport.describe());
    return a;
  }

  /** Where {@code popw-agent register} keeps the coordinator key it learned, in the state directory. */
  public static final String COORDINATOR_KEY_FILE = "coordinator-key";

  /**
   * Which receipts to believe: {@code coordinator.key}, else the key learned at registration
   * ({@value #COORDINATOR_KEY_FILE} in the state directory), else, only with
   * {@code coordinator.accept_unsigned_receipts}, unchecked receipts.
   *
   * @throws AgentSettingsException when no key is known and unchecked receipts are not allowed
   */
  public static ReceiptTrust receiptTrust(AgentSettings s) {
    String configured = s.string("coordinator.key").trim();
    if (!configured.isEmpty()) {
      try {
        return ReceiptTrust.pinned(configured);
      } catch (IllegalArgumentException e) {
        throw new AgentSettingsException("coordinator.key: " + e.getMessage());
      }
    }
    Path learned = s.path("state_dir").resolve(COORDINATOR_KEY_FILE);
    if (Files.exists(learned)) {
      try {
        return ReceiptTrust.pinned(Files.readString(learned, StandardCharsets.US_ASCII));
      } catch (IOException | IllegalArgumentException e) {
        throw new AgentSettingsException("the coordinator key " + learned + " is unreadable (" + e.getMessage()
            + "); run 'popw-agent register' again or set coordinator.key");
      }
    }
    if (s.bool("coordinator.accept_unsigned_receipts")) {
      LOG.warn("no coordinator key: receipts are NOT checked (coordinator.accept_unsigned_receipts = true, development only)");
      return ReceiptTrust.unverifiedForDevelopment();
    }
    throw new AgentSettingsException("no coordinator key to check receipts with: run 'popw-agent register' (it stores the key the"
        + " coordinator answers with) or set coordinator.key; for development only, coordinator.accept_unsigned_receipts = true");
  }

  /**
   * Which entropy the coverage source beacons with: signed by the same pinned coordinator key as
   * receipts, for this network; unchecked only where receipts are (development).
   */
  static dev.popw.entropy.EntropyTrust entropyTrust(AgentSettings s) {
    ReceiptTrust receipts = receiptTrust(s);
    String network = s.string("network_id");
    return receipts.coordinatorKey().map(k -> dev.popw.entropy.EntropyTrust.pinned(k, network, 30_000))
        .orElseGet(() -> dev.popw.entropy.EntropyTrust.unverifiedForDevelopment(network, 30_000));
  }

  /** The transport the settings name. */
  public static Transport transport(AgentSettings s) {
    String url = s.string("transport.url").trim();
    if (url.startsWith("tcp://") || url.startsWith("ssl://")) {
      MqttTransport.Builder b = MqttTransport.builder().serverUri(url).reconnectBackoff(Duration.ofMillis(500), reconnectMax(s));
      if (!s.string("transport.ca_file").isBlank()) {
        b.caCertificates(s.path("transport.ca_file"));
      }
      if (url.startsWith("ssl://")) {
        Path cert = DeviceCertificate.configured(s);
        if (cert != null) {
          b.clientCertificate(cert, DeviceCertificate.keyFile(s));
        }
      } else if (!s.string("transport.cert_file").isBlank()) {
        throw new AgentSettingsException("transport.cert_file is set, but transport.url is not ssl://: a client certificate needs TLS");
      }
      try {
        return b.build();
      } catch (dev.popw.transport.TransportException e) {
        throw new AgentSettingsException("transport: " + e.getMessage());
      }
    }
    if (url.startsWith("coap://") || url.startsWith("coaps://")) {
      CoapTransport.Builder b = CoapTransport.builder().uri(url.contains("/v1/") ? url : url.replaceAll("/+$", "") + "/v1/telemetry")
          .retryBackoff(Duration.ofMillis(500), reconnectMax(s));
      if (url.startsWith("coaps://")) {
        String identity = s.string("transport.psk_identity");
        if (identity.isBlank() || s.string("transport.psk_file").isBlank()) {
          throw new AgentSettingsException("transport.url is coaps://, so transport.psk_identity and transport.psk_file must be set");
        }
        try {
          dev.popw.identity.KeyFiles.checkPermissions(s.path("transport.psk_file"));
          String psk = Files.readString(s.path("transport.psk_file")).trim();
          b.psk(identity, HexFormat.of().parseHex(psk.regionMatches(true, 0, "0x", 0, 2) ? psk.substring(2) : psk));
        } catch (IOException | IllegalArgumentException e) {
          throw new AgentSettingsException("cannot read the PSK from " + s.string("transport.psk_file") + ": " + e.getMessage());
        }
      }
      return b.build();
    }
    throw new AgentSettingsException("transport.url must start with tcp://, ssl://, coap:// or coaps://, got '" + url + "'");
  }

  private static Duration reconnectMax(AgentSettings s) {
    return s.seconds("transport.reconnect_max_seconds", 1, 3600);
  }

  /** The sources the settings enable. */
  public static List<Source> sources(AgentSettings s, byte[] deviceIdBytes) {
    List<Source> out = new ArrayList<>();
    if (s.bool("sources.bme280.enabled")) {
      out.add(Bme280Source.onPi((int) s.integer("sources.bme280.bus", 0, 255), s.i2cAddress("sources.bme280.address"),
          s.seconds("sources.bme280.interval_seconds", 1, 86_400)));
    }
    if (s.bool("sources.ds18b20.enabled")) {
      out.add(new Ds18b20Source(s.path("sources.ds18b20.devices_dir"), s.seconds("sources.ds18b20.interval_seconds", 1, 86_400)));
    }
    if (s.bool("sources.gpu.enabled")) {
      out.add(new GpuSource(new NvidiaSmi(s.string("sources.gpu.nvidia_smi")), s.seconds("sources.gpu.interval_seconds", 1, 86_400)));
    }
    if (s.bool("sources.coverage.enabled")) {
      out.add(new CoverageSource(s.string("sources.coverage.bind_host"), (int) s.integer("sources.coverage.port", 0, 65_535),
          s.seconds("sources.coverage.beacon_interval_seconds", 10, 30 * 86_400L),
          s.seconds("sources.coverage.beacon_jitter_seconds", 0, 30 * 86_400L),
          new CoverageSource.BeaconRadio(s.number("sources.coverage.frequency_mhz"), s.string("sources.coverage.data_rate"),
              (int) s.integer("sources.coverage.power_dbm", -10, 36)), deviceIdBytes, s.number("sources.coverage.antenna_gain_dbi"),
          new dev.popw.agent.coverage.HttpEntropySource(s.string("coordinator.api_url"), entropyTrust(s), Clock.systemUTC()),
          Clock.systemUTC()));
    }
    Duration sim = s.seconds("sources.simulated.interval_seconds", 1, 86_400);
    for (SimulatedSource.Kind k : SimulatedSource.Kind.values()) {
      if (s.bool("sources.simulated." + k.name().toLowerCase(java.util.Locale.ROOT))) {
        out.add(new SimulatedSource(k, sim, Clock.systemUTC()));
      }
    }
    return out;
  }

  /**
   * Seals and queues one telemetry. It counts as produced as soon as it is in the outbox (which
   * counts it as queued at once), not when its write is durable a few milliseconds later, so the
   * status never shows more queued this run than produced; a write that then fails moves it to
   * refused.
   */
  private void submit(Telemetry.Builder t) {
    if (closed) {
      return;
    }
    CompletableFuture<?> queued;
    synchronized (counts) {
      try {
        queued = client.submit(t);
      } catch (RuntimeException e) {
        refused.incrementAndGet();
        LOG.warn("telemetry not queued: {}", e.getMessage());
        return;
      }
      produced.incrementAndGet();
    }
    queued.whenComplete((e, err) -> {
      if (err != null) {
        synchronized (counts) {
          produced.decrementAndGet();
          refused.incrementAndGet();
        }
        LOG.warn("telemetry not queued: {}", err.getMessage());
      }
    });
  }

  public DeviceClient client() {
    return client;
  }

  public List<Source> sources() {
    return sources;
  }

  /**
   * Writes status.json atomically. Times are ISO-8601 (UTC, to the second). {@code queued} is the
   * outbox's content, which after a restart includes {@code recovered_at_start} envelopes of
   * earlier runs; {@code produced} counts this run's, so queued never exceeds their sum. A stopped
   * agent is not connected.
   */
  void writeStatus() {
    synchronized (statusFile) {
      writeStatusFile();
    }
  }

  private void writeStatusFile() {
    try {
      DeviceStatus st;
      long producedNow;
      long refusedNow;
      synchronized (counts) {
        st = client.status();
        producedNow = produced.get();
        refusedNow = refused.get();
      }
      ObjectMapper m = new ObjectMapper();
      ObjectNode n = m.createObjectNode();
      n.put("pid", ProcessHandle.current().pid());
      n.put("running", !closed);
      n.put("updated_at", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
      n.put("started_at", startedAt.truncatedTo(ChronoUnit.SECONDS).toString());
      n.put("device_id", signer.deviceId().toString());
      n.put("transport", st.transport());
      n.put("connected", !closed && st.connected());
      n.put("queued", st.queued());
      n.put("recovered_at_start", recoveredAtStart);
      n.put("produced", producedNow);
      n.put("refused", refusedNow);
      n.put("acknowledged", st.acknowledged());
      n.put("rejected", st.rejected());
      n.put("dropped", st.dropped());
      n.put("expired", st.expired());
      n.put("ignored_receipts", st.ignoredReceipts());
      st.lastError().ifPresent(e -> n.put("last_error", e));
      ObjectNode src = n.putObject("sources");
      for (Source s : sources) {
        src.put(s.name(), s.status());
      }
      Path tmp = stateDir.resolve(STATUS_FILE + ".tmp");
      Files.writeString(tmp, m.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
      Files.move(tmp, stateDir.resolve(STATUS_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      LOG.debug("cannot write status: {}", e.toString());
    }
  }

  /** Stops the sources, delivers what is queued (up to the flush timeout), and closes. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    for (Source s : sources) {
      s.close();
    }
    scheduler.shutdown();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closed = true;
    boolean empty = client.drain(flushTimeout);
    long left = client.status().queued();
    writeStatus();
    client.close();
    signer.close();
    if (empty) {
      LOG.info("popw-agent stopped; outbox flushed");
    } else {
      LOG.warn("popw-agent stopped with {} envelope(s) still queued; they are on disk and go out after the next start", left);
    }
  }
}
