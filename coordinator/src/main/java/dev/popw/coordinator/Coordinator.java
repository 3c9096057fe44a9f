package dev.popw.coordinator;

import dev.popw.coordinator.api.Metrics;
import dev.popw.coordinator.api.RestApi;
import dev.popw.coordinator.batch.Batcher;
import dev.popw.coordinator.batch.DatabaseSettlement;
import dev.popw.coordinator.batch.Settlement;
import dev.popw.coordinator.ingest.CoapIngest;
import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.ingest.MqttIngest;
import dev.popw.coordinator.ingest.PipelineConfig;
import dev.popw.coordinator.mqtt.EmbeddedBroker;
import dev.popw.transport.mqtt.Topics;
import dev.popw.coordinator.registry.DeviceRegistry;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.chain.ChainException;
import dev.popw.coordinator.chain.ChainKeys;
import dev.popw.coordinator.chain.ChainSettlement;
import dev.popw.coordinator.chain.Deployment;
import dev.popw.coordinator.chain.DevChain;
import dev.popw.coordinator.chain.EvmClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HexFormat;
import org.web3j.crypto.Credentials;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running coordinator: database, verification pipeline, registry, batcher and settlement, and
 * the ingest endpoints its settings enable. Build it with {@link #start(CoordinatorSettings)}.
 */
public final class Coordinator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);

  private final CoordinatorSettings settings;
  private final Database database;
  private final Store store;
  private final Settlement settlement;
  private final Batcher batcher;
  private final IngestPipeline pipeline;
  /** "native" or "bouncycastle": which verifies envelope signatures. */
  private final String signaturePath;
  private final DeviceRegistry registry;
  private final Metrics metrics;
  private final MqttIngest mqtt;
  private final EmbeddedBroker broker;
  private final RestApi api;
  private final CoapIngest coap;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final dev.popw.coordinator.store.VerdictStore verdicts;
  private final dev.popw.coordinator.epoch.EpochManager epochs;
  private final List<CoordinatorListener> listeners;
  private DevChain devChain;
  private RestApi.ChainInfo chainInfo;
  private final dev.popw.identity.SoftwareSigner receiptKey;
  /** Signs receipts, entropy and challenges: {@link #receiptKey} on AWS-LC where the native path loads, on Bouncy Castle otherwise. */
  private final dev.popw.identity.DeviceSigner receiptSigner;
  /** Signs the ingest receipts (MQTT and CoAP) in groups, one signature per group. */
  private dev.popw.coordinator.ingest.ReceiptBatcher receiptBatcher;
  private final dev.popw.coordinator.pki.DeviceCertificateAuthority deviceCa;
  private final dev.popw.coordinator.gpu.ChallengeService challenges;
  private final dev.popw.coordinator.entropy.EntropyService entropy;
  private final dev.popw.coordinator.validation.coverage.Denylist denylist;
  private dev.popw.coordinator.api.CoverageRoutes coverageRoutes;
  private EvmClient chainClient;
  private dev.popw.coordinator.chain.RewardsContracts rewardsContracts;
  private final dev.popw.coordinator.rewards.RewardsService rewards;
  private final dev.popw.coordinator.data.DataService data;
  private final dev.popw.coordinator.cluster.ClusterRoles roles;
  private final dev.popw.coordinator.cluster.ClusterEvents events;

  /** The default validators of these settings: the sensor rules, the coverage rules with the denylist file, the GPU proof rules. */
  public static dev.popw.coordinator.validation.Validators defaultValidators(CoordinatorSettings s) {
    return dev.popw.coordinator.epoch.DefaultValidators.of(s.sensorRules(), s.coverage().rules(),
        new dev.popw.coordinator.validation.coverage.Denylist(s.coverage().denylistFile(s.dataDirectory())), s.gpuProofs());
  }

  private Coordinator(CoordinatorSettings s, Clock clock) {
    this(s, clock, defaultValidators(s), List.of(), true);
  }

  private Coordinator(CoordinatorSettings s, Clock clock, dev.popw.coordinator.validation.Validators validators,
      List<CoordinatorListener> listeners, boolean closeEpochs) {
    this.listeners = List.copyOf(listeners);
    this.settings = s;
    this.receiptKey = CoordinatorKey.loadOrCreate(s.receiptKeyFile()); // first: it fails on a bad file, before anything opens
    this.deviceCa = loadDeviceCa(s, clock);
    javax.net.ssl.SSLContext mqttTls = mqttTls(s);
    this.database = s.postgresUrl() != null
        ? Database.postgres(s.postgresUrl(), s.postgresUser(), s.postgresPassword(), s.postgresSchema(), s.cluster().enabled())
        : Database.embedded(s.dataDirectory().resolve("coordinator"));
    closeables.add(database);
    if (database.isCluster()) {
      this.roles = new dev.popw.coordinator.cluster.ClusterRoles(database, s.cluster().effectiveNodeId(), s.cluster().roleRetry());
      closeables.add(0, roles); // closed first of these: the roles go to another node at once
      roles.start();
      LOG.info("cluster node {}: roles held at start {}", roles.node(), roles.held());
    } else {
      this.roles = null;
    }
    this.store = new Store(database, new dev.popw.coordinator.store.RejectionLimits(s.limits().rejectedBytesPerDevice(),
        s.limits().rejectedBytesUnattributed(), s.limits().rejectedBytesTotal()));
    this.settlement = settlement(s, clock);
    this.batcher = new Batcher(store, settlement, clock, s.batchMaxEnvelopes(), s.batchMaxAge(),
        roles == null ? null : roles.gate(dev.popw.coordinator.cluster.ClusterRoles.Role.SEALER));
    this.metrics = new Metrics();
    metrics.rejectionStorage(() -> store.envelopes().rejectionsDroppedSinceStart()[0], () -> store.envelopes().rejectionsDroppedSinceStart()[1],
        store.envelopes()::storedRejectionBytes);
    batcher.onSealed(b -> {
      metrics.batchSealed(b.envelopeCount());
      tell(l -> l.batchSealed(b));
    });
    settlement.onConfirmed(id -> tell(l -> l.batchConfirmed(id)));
    this.verdicts = store.verdicts();
    this.epochs = new dev.popw.coordinator.epoch.EpochManager(verdicts, validators, s.epochs(), clock);
    if (roles != null) {
      epochs.role(roles.gate(dev.popw.coordinator.cluster.ClusterRoles.Role.EPOCHS));
    }
    epochs.onClosed(e -> {
      metrics.epochClosed(e.epoch(), verdicts.countsByKind(e.epoch()));
      tell(l -> l.epochClosed(e));
    });

    dev.popw.coordinator.signatures.Signatures.Selection signatures;
    try {
      signatures = dev.popw.coordinator.signatures.Signatures.select(dev.popw.coordinator.signatures.Signatures.Mode.configured());
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new SettingsException(e.getMessage());
    }
    this.signaturePath = signatures.path();
    LOG.info(signatures.description());
    dev.popw.coordinator.signatures.NativeReceiptSigner.Wrapped signer =
        dev.popw.coordinator.signatures.NativeReceiptSigner.wrap(receiptKey, s.receiptKeyFile(), signatures.engine());
    if (signatures.engine() != null && signer.problem() != null) {
      LOG.warn("receipts are signed with Bouncy Castle: {}", signer.problem());
    }
    this.receiptSigner = signer.signer();
    this.receiptBatcher = new dev.popw.coordinator.ingest.ReceiptBatcher(receiptSigner, clock);
    dev.popw.coordinator.ingest.ReceiptBatcher rb = receiptBatcher;
    metrics.counter("popw.receipts", "signed", "receipts", "ingest receipts signed (MQTT, CoAP), and signatures over them", () -> rb.counts()[1]);
    metrics.counter("popw.receipts", "signed", "signatures", "ingest receipts signed (MQTT, CoAP), and signatures over them", () -> rb.counts()[0]);
    metrics.signatures(signatures.path(), signatures.engine() == null ? null : signatures.engine()::counts);

    dev.popw.coordinator.rewards.RewardsChain rewardsChain = rewardsContracts == null ? null
        : new dev.popw.coordinator.rewards.RewardsChain(chainClient, rewardsContracts);
    if (s.rewards().enabled()) {
      this.rewards = new dev.popw.coordinator.rewards.RewardsService(store, s.rewards(), s.epochs(), s.networkId(), rewardsChain, clock);
      long g = s.rewards().genesis().toEpochMilli();
      if (Math.floorMod(g, s.epochs().length().toMillis()) != 0) {
        LOG.warn("rewards.genesis {} is not an epoch start: token epochs end between the coordinator's", s.rewards().genesis());
      }
    } else {
      this.rewards = null;
    }
    this.data = new dev.popw.coordinator.data.DataService(store.credits(), s.data(), s.networkId(), clock, s.epochs(), s.rewards(),
        rewardsChain);
    if (rewards != null) {
      rewards.afterTick(data::settle);
      if (roles != null) {
        rewards.role(roles.gate(dev.popw.coordinator.cluster.ClusterRoles.Role.EPOCHS));
      }
    }

    this.pipeline = new IngestPipeline(store, PipelineConfig.builder(s.networkId())
        .signatureEngine(signatures.engine())
        .maxClockSkew(s.maxClockSkew()).freshness(s.freshness())
        .acceptSimulated(s.acceptSimulated()).deviceCache(s.limits().cachedDevices(), s.limits().deviceIdle()).build(), clock, (r, nanos) -> metrics.outcome(r.accepted() ? "ACCEPTED" : r.reason(), nanos),
        batcher.assigner());
    metrics.queueDepth(pipeline::writeQueueDepth);
    metrics.deviceCache(pipeline::cachedDevices, () -> pipeline.deviceStateCounts()[1], () -> pipeline.deviceStateCounts()[0]);
    this.registry = new DeviceRegistry(store, pipeline, s.networkId(), clock, s.registrationWindow());
    this.denylist = validators.of(dev.popw.coordinator.validation.WorkKind.COVERAGE)
        instanceof dev.popw.coordinator.validation.coverage.CoverageValidator cv ? cv.denylist()
        : new dev.popw.coordinator.validation.coverage.Denylist(s.coverage().denylistFile(s.dataDirectory()));
    this.entropy = new dev.popw.coordinator.entropy.EntropyService(store.entropy(), receiptSigner, s.networkId(),
        s.coverage().entropyInterval(), s.coverage().rules().entropyWindow(), clock);
    this.challenges = new dev.popw.coordinator.gpu.ChallengeService(store.gpuChallenges(), s.gpuProofs(), receiptSigner, clock);
    if (roles != null) {
      // one node issues (and alone publishes) entropy and GPU challenges; any node takes the answers (docs/scale-out.md)
      entropy.role(roles.gate(dev.popw.coordinator.cluster.ClusterRoles.Role.EPOCHS));
      challenges.role(roles.gate(dev.popw.coordinator.cluster.ClusterRoles.Role.EPOCHS));
      IngestPipeline p = pipeline;
      var ev = new dev.popw.coordinator.cluster.ClusterEvents(database, roles.node(), s.cluster().eventPoll(), e -> {
        if (e.kind().equals("device") && e.subject() != null) {
          p.deviceChanged(e.subject());
        }
      });
      this.events = ev;
      closeables.add(1, ev);
      registry.onChanged(id -> ev.publish("device", id.toString()));
      ev.start();
    } else {
      this.events = null;
    }
    pipeline.onAccepted(challenges::accepted);
    registerGpuMetrics();
    LOG.info("receipts are signed with coordinator key {} ({})", HexFormat.of().formatHex(receiptKey.publicKey()), s.receiptKeyFile());
    if (s.mqttUrl() != null) {
      mqtt = new MqttIngest(s.mqttUrl(), s.mqttClientId(), s.mqttSharedGroup(), pipeline, clock, receiptSigner, mqttTls);
      mqtt.signReceiptsWith(receiptBatcher);
      mqtt.start();
      MqttIngest m = mqtt;
      entropy.onIssued(m::publish);
      broker = null;
    } else if (s.mqttPort() >= 0) {
      mqtt = null;
      broker = new EmbeddedBroker(s.bindHost(), s.mqttPort(), s.broker(), new dev.popw.coordinator.mqtt.DeviceAuthenticator(
          s.networkId(), clock, s.broker().tokenWindow(),
          id -> store.devices().device(id.toString()).map(dev.popw.coordinator.store.DeviceRecord::active).orElse(false),
          receiptKey.deviceId()));
      EmbeddedBroker kicker = broker;
      entropy.onIssued((topic, bytes) -> kicker.publish(topic, bytes, 1));
      registry.onDeactivate(id -> kicker.disconnect(id.toString()));
      if (s.broker().allowAnonymous()) {
        LOG.warn("mqtt.allow_anonymous = true: the embedded broker accepts clients without credentials, with no topic restrictions");
      }
      metrics.gauge("popw.broker.connections", "open connections to the embedded broker", broker::connectionCount);
      metrics.gauge("popw.broker.clients", "connected (authenticated) clients", broker::clientCount);
      metrics.gauge("popw.broker.subscriptions", "topic filters held by clients", broker::subscriptionCount);
      metrics.gauge("popw.broker.buffered.bytes", "bytes queued towards clients", broker::bufferedBytes);
      for (dev.popw.coordinator.mqtt.Refusal r : dev.popw.coordinator.mqtt.Refusal.values()) {
        EmbeddedBroker b = broker;
        metrics.counter("popw.broker.refusals", "reason", r.name(), "connections, packets and subscriptions refused", () -> b.refusals(r));
      }
      broker.subscribeInternal(Topics.allTelemetry(Topics.PREFIX), (topic, payload) -> {
        String device = MqttIngest.deviceOf(topic);
        String receipts = Topics.PREFIX + "/" + device + "/receipts";
        EmbeddedBroker b = broker;
        return pipeline.submit(payload, device).thenAccept(r -> receiptBatcher.submit(r, signed -> b.publish(receipts, signed, 1)));
      });
      try {
        broker.start();
      } catch (IllegalStateException e) {
        close();
        throw new dev.popw.coordinator.SettingsException(e.getMessage());
      }
    } else {
      mqtt = null;
      broker = null;
    }
    if (mqtt != null) {
      MqttIngest m = mqtt;
      challenges.publishWith((device, bytes) -> m.publish(Topics.PREFIX + "/" + device + "/challenges", bytes));
    } else if (broker != null) {
      EmbeddedBroker b = broker;
      challenges.publishWith((device, bytes) -> b.publish(Topics.PREFIX + "/" + device + "/challenges", bytes, 1));
    }
    if (s.coapPort() >= 0 || s.coapsPort() >= 0) {
      LimitSettings l = s.limits();
      coap = new CoapIngest(s.bindHost(), s.coapPort(), s.coapsPort(), s.coapPskKeys(), pipeline, clock, receiptSigner,
          new dev.popw.coordinator.ingest.SourceRateLimiter(l.coapRequestsPerSecond(), l.coapBurst(), l.coapTrackedSources()),
          l.coapBlockwiseTransfers());
      coap.signReceiptsWith(receiptBatcher);
      coap.challenges(id -> challenges.waitingFor(id).orElse(null));
      coap.start();
      metrics.coap(coap::rateLimited, coap::trackedSources, coap::payloadsWithheld, () -> coap.refused()[0], () -> coap.refused()[1],
          coap::blockwiseStarted);
    } else {
      coap = null;
    }
    if (s.apiPort() >= 0) {
      try {
        api = new RestApi(s.bindHost(), s.apiPort(), store, registry, batcher, metrics, this::health, chainInfo, epochs, clock, receiptSigner,
            s.api());
      } catch (java.io.IOException e) {
        close();
        throw new dev.popw.coordinator.SettingsException("cannot listen on API port " + s.apiPort() + ": " + e.getMessage());
      }
      coverageRoutes = new dev.popw.coordinator.api.CoverageRoutes(entropy, denylist, epochs, clock, receiptKey.publicKey(),
          dev.popw.coordinator.api.CoverageRoutes::tokenOperator);
      api.mount(coverageRoutes);
      api.mount(new dev.popw.coordinator.api.DataRoutes(data, store));
      if (rewards != null) {
        api.mount(new dev.popw.coordinator.api.RewardRoutes(rewards,
            id -> store.devices().device(id).map(dev.popw.coordinator.store.DeviceRecord::owner)));
      }
      api.explorerTiles(s.explorer().tileUrl(), s.explorer().tileAttribution()).deviceCertificates(deviceCa).start();
    } else {
      api = null;
    }
    entropy.start(Math.max(50, Math.min(1_000, s.coverage().entropyInterval().toMillis() / 10)));
    if (closeEpochs) {
      epochs.start(Math.max(50, Math.min(1_000, s.epochs().length().toMillis() / 10)));
      challenges.start(Math.max(50, Math.min(1_000, s.gpuProofs().minInterval().toMillis() / 10)));
      if (rewards != null) {
        rewards.start(Math.max(50, Math.min(1_000, s.epochs().length().toMillis() / 10)));
      }
    }
    LOG.info("coordinator for network '{}' running: database {}, mqtt {}, coap {}, settlement {}", s.networkId(),
        database.isPostgres() ? "postgresql" : "embedded",
        s.mqttUrl() != null ? s.mqttUrl() : broker != null ? "embedded broker on port " + broker.port() : "off",
        coap == null ? "off" : "udp/" + coap.plainPort() + (coap.securePort() >= 0 ? " dtls/" + coap.securePort() : ""),
        settlement.name());
  }

  /** The device CA ({@code [mqtt.tls]}), loaded or created like the receipt key: a bad file stops the start. */
  private static dev.popw.coordinator.pki.DeviceCertificateAuthority loadDeviceCa(CoordinatorSettings s, Clock clock) {
    MqttTlsSettings t = s.mqttTls();
    try {
      return dev.popw.coordinator.pki.DeviceCertificateAuthority.loadOrCreate(t.deviceCaKey(s.dataDirectory()),
          t.deviceCaCert(s.dataDirectory()), s.networkId(), t.deviceCertificateValidity(), clock);
    } catch (dev.popw.coordinator.pki.PkiException e) {
      throw new SettingsException(e.getMessage());
    }
  }

  /** The TLS context for an ssl:// broker with TLS settings of its own; null for the JVM's defaults. */
  private static javax.net.ssl.SSLContext mqttTls(CoordinatorSettings s) {
    MqttTlsSettings t = s.mqttTls();
    if (s.mqttUrl() == null || !t.configured()) {
      return null;
    }
    try {
      return dev.popw.transport.tls.PemTls.context(t.caFile(), t.certFile(), t.keyFile());
    } catch (dev.popw.transport.TransportException e) {
      throw new SettingsException("mqtt.tls: " + e.getMessage());
    }
  }

  /** The device CA, which issues devices' MQTT client certificates. */
  public dev.popw.coordinator.pki.DeviceCertificateAuthority deviceCa() {
    return deviceCa;
  }

  private Settlement settlement(CoordinatorSettings s, Clock clock) {
    var c = s.chain();
    if (!c.enabled()) {
      return new DatabaseSettlement();
    }
    EvmClient client;
    Deployment deployment;
    try {
      if (c.mode().equals("dev")) {
        Path dir = s.dataDirectory().resolve("devchain");
        devChain = DevChain.start(DevChain.findAnvil(c.anvil()), c.devPort(), dir.resolve("anvil-state.json"),
            dir.resolve("anvil.log"), java.util.List.of());
        closeables.add(devChain);
        client = EvmClient.connect(devChain.rpcUrl(), Credentials.create(DevChain.DEV_KEY), 0);
        Path file = dir.resolve("deployment.json");
        deployment = Deployment.read(file).filter(d -> d.presentOn(client)).orElse(null);
        if (deployment == null) {
          deployment = Deployment.deploy(client, client.address());
          deployment.write(file);
        }
      } else {
        client = EvmClient.connect(c.rpcUrl(), ChainKeys.load(c.keyFile()), c.chainId());
        deployment = new Deployment(client.chainId(), c.deviceRegistry(), c.batchRegistry(), 0);
      }
    } catch (ChainException | dev.popw.identity.SignerException e) {
      for (int i = closeables.size() - 1; i >= 0; i--) {
        try {
          closeables.get(i).close();
        } catch (Exception ignored) {
          // already failing; the settings error below is what the operator needs
        }
      }
      String hint = e instanceof ChainException ce && ce.retryable() && c.chainId() == 0
          ? "; set chain.chain_id to let the coordinator start while the chain is down" : "";
      throw new SettingsException(e.getMessage() + hint);
    }
    chainInfo = new RestApi.ChainInfo(client.chainId(), client.url(), deployment.deviceRegistry(), deployment.batchRegistry(),
        client.address());
    chainClient = client;
    if (s.rewards().enabled()) {
      try {
        rewardsContracts = c.mode().equals("dev")
            ? dev.popw.coordinator.rewards.RewardsDeployment.loadOrDeploy(client, s.dataDirectory().resolve("devchain").resolve(
                "rewards-deployment.json"), s.rewards(), s.epochs())
            : s.rewards().contracts();
        if (rewardsContracts != null && !c.mode().equals("dev")) {
          checkSchedule(client, rewardsContracts, s);
        }
      } catch (ChainException | SettingsException e) {
        for (int i = closeables.size() - 1; i >= 0; i--) {
          try {
            closeables.get(i).close();
          } catch (Exception ignored) {
            // already failing; the settings error below is what the operator needs
          }
        }
        throw e instanceof SettingsException se ? se : new SettingsException("cannot set up the rewards contracts: " + e.getMessage());
      }
    }
    ChainSettlement cs = new ChainSettlement(store, client, deployment, c, s.networkId(), clock);
    if (roles != null) {
      cs.role(roles.gate(dev.popw.coordinator.cluster.ClusterRoles.Role.SETTLEMENT));
    }
    return cs.start();
  }

  /** Refuses to start when [rewards] does not describe the token's emission schedule (the rewards would not match the mint ceiling). */
  private static void checkSchedule(EvmClient client, dev.popw.coordinator.chain.RewardsContracts rc, CoordinatorSettings s) {
    var r = s.rewards();
    long len = s.epochs().length().toSeconds();
    java.math.BigInteger e0 = rc.emissionOf(client, 0);
    java.math.BigInteger eh = rc.emissionOf(client, r.halvingEpochs());
    long at = rc.epochAt(client, r.genesis().getEpochSecond() + 2 * len).longValueExact();
    if (!e0.equals(r.emission(0)) || !eh.equals(r.emission(r.halvingEpochs())) || at != 2) {
      throw new SettingsException("[rewards] does not match the token at " + rc.token() + ": the token emits " + e0 + " wei in epoch 0 and "
          + eh + " in epoch " + r.halvingEpochs() + " and counts epoch " + at + " at genesis + 2 epochs; the settings give " + r.emission(0)
          + ", " + r.emission(r.halvingEpochs()) + " and 2 (check rewards.genesis, initial_epoch_emission, halving_epochs and"
          + " epoch.length_seconds)");
    }
  }

  /** The database (for exports and stores of other packages). */
  public Database database() {
    return database;
  }

  /** The rewards contracts, when rewards settle on a chain. */
  public java.util.Optional<dev.popw.coordinator.chain.RewardsContracts> rewardsContracts() {
    return java.util.Optional.ofNullable(rewardsContracts);
  }

  /** The rewards service; empty when {@code rewards.enabled} is false. */
  public java.util.Optional<dev.popw.coordinator.rewards.RewardsService> rewards() {
    return java.util.Optional.ofNullable(rewards);
  }

  /** The chain settlement, when one is configured. */
  public java.util.Optional<ChainSettlement> chainSettlement() {
    return settlement instanceof ChainSettlement cs ? java.util.Optional.of(cs) : java.util.Optional.empty();
  }

  /**
   * The coordinator's Ed25519 public key (32 bytes): it signs every receipt, and devices pin it
   * (agent setting {@code coordinator_key}, or learned at registration).
   */
  public byte[] receiptKey() {
    return receiptKey.publicKey();
  }

  /** Chain, contracts and account, when settling on a chain; null otherwise. */
  public RestApi.ChainInfo chainInfo() {
    return chainInfo;
  }

  /**
   * Starts a coordinator.
   *
   * @throws dev.popw.coordinator.store.StoreException if the database cannot be opened
   */
  public static Coordinator start(CoordinatorSettings settings) {
    return new Coordinator(settings, Clock.systemUTC());
  }

  public static Coordinator start(CoordinatorSettings settings, Clock clock) {
    return new Coordinator(settings, clock);
  }

  /** A coordinator assembled from parts: settings, then the clock, validators and listeners to replace or add. */
  public static Builder builder(CoordinatorSettings settings) {
    return new Builder(settings);
  }

  /** Assembles a {@link Coordinator}; every part not given gets its default. */
  public static final class Builder {
    private final CoordinatorSettings settings;
    private Clock clock = Clock.systemUTC();
    private dev.popw.coordinator.validation.Validators validators;
    private final List<CoordinatorListener> listeners = new ArrayList<>();
    private boolean closeEpochs = true;

    private Builder(CoordinatorSettings settings) {
      this.settings = java.util.Objects.requireNonNull(settings, "settings");
      this.validators = defaultValidators(settings);
    }

    /** The clock for receipt times, batch ages, epochs and settlement (default: system UTC). */
    public Builder clock(Clock clock) {
      this.clock = java.util.Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Replaces the default validator of the validator's kind. */
    public Builder validator(dev.popw.coordinator.validation.WorkValidator validator) {
      this.validators = validators.with(java.util.Objects.requireNonNull(validator, "validator"));
      return this;
    }

    public Builder listener(CoordinatorListener listener) {
      listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Whether a background thread closes epochs as the clock passes them (default true); without
     * it, {@link Coordinator#epochs()}{@code .tick()} closes them (tests with an injected clock).
     */
    public Builder closeEpochsAutomatically(boolean on) {
      this.closeEpochs = on;
      return this;
    }

    /**
     * Starts the coordinator.
     *
     * @throws SettingsException if a port, the database or the chain cannot be used
     */
    public Coordinator start() {
      return new Coordinator(settings, clock, validators, listeners, closeEpochs);
    }
  }

  private void tell(java.util.function.Consumer<CoordinatorListener> event) {
    for (CoordinatorListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        LOG.warn("a coordinator listener failed: {}", e.toString());
      }
    }
  }

  /** The beacon entropy this coordinator issues. */
  public dev.popw.coordinator.entropy.EntropyService entropy() {
    return entropy;
  }

  /** The coverage denylist the coverage validator reads. */
  public dev.popw.coordinator.validation.coverage.Denylist denylist() {
    return denylist;
  }

  /** The coverage endpoints (for {@code operatorCheck}); null without an API. */
  public dev.popw.coordinator.api.CoverageRoutes coverageRoutes() {
    return coverageRoutes;
  }

  private void registerGpuMetrics() {
    dev.popw.coordinator.gpu.ChallengeService c = challenges;
    metrics.counter("popw.gpu.challenges.issued", "phase", "work", "GPU challenges issued (work) and open requests sent (open)", c::issuedCount);
    metrics.counter("popw.gpu.challenges.issued", "phase", "open", "GPU challenges issued (work) and open requests sent (open)", c::openedCount);
    metrics.gauge("popw.gpu.challenges.in.flight", "GPU challenges awaiting an answer (limit gpu_proofs.max_in_flight)", c::inFlight);
    metrics.counter("popw.gpu.challenges.deferred", "limit", "max_in_flight", "devices due for a challenge that waited for the in-flight limit",
        c::deferredCount);
    metrics.counter("popw.gpu.challenge.polls", "transport", "coap", "CoAP polls of /v1/challenges", c::pollCount);
    for (String outcome : dev.popw.coordinator.gpu.ChallengeService.outcomes()) {
      metrics.counter("popw.gpu.challenges.checked", "outcome", outcome, "live checks of GPU challenges by STATUS/REASON",
          () -> c.checkedCount(outcome));
    }
  }

  /** GPU capacity challenges. */
  public dev.popw.coordinator.gpu.ChallengeService gpuChallenges() {
    return challenges;
  }

  /** Epochs and verdicts. */
  public dev.popw.coordinator.epoch.EpochManager epochs() {
    return epochs;
  }

  /** The work layer's tables. */
  public dev.popw.coordinator.store.VerdictStore verdicts() {
    return verdicts;
  }

  public CoordinatorSettings settings() {
    return settings;
  }

  public Store store() {
    return store;
  }

  public IngestPipeline pipeline() {
    return pipeline;
  }

  /** Which verifies envelope signatures: "native" (AWS-LC, Bouncy Castle deciding refusals) or "bouncycastle". */
  public String signaturePath() {
    return signaturePath;
  }

  public DeviceRegistry registry() {
    return registry;
  }

  public Batcher batcher() {
    return batcher;
  }

  /** The bound REST API port, or -1. */
  public int apiPort() {
    return api == null ? -1 : api.port();
  }

  private java.util.Map<String, Object> health() {
    java.util.Map<String, Object> h = new java.util.LinkedHashMap<>();
    h.put("status", "ok");
    h.put("network_id", settings.networkId());
    h.put("mqtt", broker != null ? "embedded broker on port " + broker.port()
        : settings.mqttUrl() == null ? "off" : mqttConnected() ? "connected" : "disconnected");
    h.put("epoch", epochs.currentEpoch());
    h.put("coap_port", coapPort());
    h.put("write_queue_depth", pipeline.writeQueueDepth());
    h.put("settlement", settlement.name());
    chainSettlement().ifPresent(cs -> {
      h.put("chain", cs.reachable() ? "reachable" : "unreachable");
      if (cs.lastError() != null) {
        h.put("chain_last_error", cs.lastError());
      }
    });
    h.put("batches", store.batches().settlementCounts());
    if (roles != null) {
      java.util.Map<String, Object> c = new java.util.LinkedHashMap<>();
      c.put("node", roles.node());
      c.put("roles", roles.held());
      h.put("cluster", c);
    }
    return h;
  }

  /** This node's single roles, on a cluster's schema; null otherwise. */
  public dev.popw.coordinator.cluster.ClusterRoles clusterRoles() {
    return roles;
  }

  /** The bound coap:// port, or -1. */
  public int coapPort() {
    return coap == null ? -1 : coap.plainPort();
  }

  /** The bound coaps:// port, or -1. */
  public int coapsPort() {
    return coap == null ? -1 : coap.securePort();
  }

  /** True when MQTT ingest can take telemetry: connected to the external broker, or the embedded one is up. */
  public boolean mqttConnected() {
    return (mqtt != null && mqtt.isConnected()) || broker != null;
  }

  /** The embedded broker (its counters), or null when there is none. */
  public EmbeddedBroker broker() {
    return broker;
  }

  /** The embedded broker's port, or -1. */
  public int mqttPort() {
    return broker == null ? -1 : broker.port();
  }

  /** Stops ingest first, then lets the pipeline and batcher finish, then closes the database. */
  @Override
  public void close() {
    if (api != null) {
      api.close();
    }
    if (mqtt != null) {
      mqtt.close();
    }
    if (broker != null) {
      broker.close();
    }
    if (coap != null) {
      coap.close();
    }
    if (entropy != null) {
      entropy.close();
    }
    if (challenges != null) {
      challenges.close();
    }
    pipeline.close();
    if (receiptBatcher != null) {
      receiptBatcher.close(); // the receipts of the last commits; the broker is closed, so they are dropped
    }
    if (epochs != null) {
      epochs.close();
    }
    if (rewards != null) {
      rewards.close();
    }
    batcher.close();
    settlement.close();
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed: {}", c, e.toString());
      }
    }
  }
}
