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
  private final DeviceRegistry registry;
  private final Metrics metrics;
  private final MqttIngest mqtt;
  private final EmbeddedBroker broker;
  private final RestApi api;
  private final CoapIngest coap;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private DevChain devChain;
  private RestApi.ChainInfo chainInfo;

  private Coordinator(CoordinatorSettings s, Clock clock) {
    this.settings = s;
    this.database = s.postgresUrl() != null
        ? Database.postgres(s.postgresUrl(), s.postgresUser(), s.postgresPassword(), s.postgresSchema())
        : Database.embedded(s.dataDirectory().resolve("coordinator"));
    closeables.add(database);
    this.store = new Store(database);
    this.settlement = settlement(s, clock);
    this.batcher = new Batcher(store, settlement, clock, s.batchMaxEnvelopes(), s.batchMaxAge());
    this.metrics = new Metrics();
    batcher.onSealed(metrics::batchSealed);
    this.pipeline = new IngestPipeline(store, PipelineConfig.builder(s.networkId())
        .maxClockSkew(s.maxClockSkew()).freshness(s.freshness())
        .acceptSimulated(s.acceptSimulated()).build(), clock, (r, nanos) -> metrics.outcome(r.accepted() ? "ACCEPTED" : r.reason(), nanos),
        batcher.assigner());
    metrics.queueDepth(pipeline::writeQueueDepth);
    this.registry = new DeviceRegistry(store, pipeline, s.networkId(), clock, s.registrationWindow());
    if (s.mqttUrl() != null) {
      mqtt = new MqttIngest(s.mqttUrl(), s.mqttClientId(), s.mqttSharedGroup(), pipeline, clock);
      mqtt.start();
      broker = null;
    } else if (s.mqttPort() >= 0) {
      mqtt = null;
      broker = new EmbeddedBroker(s.bindHost(), s.mqttPort());
      broker.subscribeInternal(Topics.allTelemetry(Topics.PREFIX), (topic, payload) -> {
        String device = MqttIngest.deviceOf(topic);
        return pipeline.submit(payload, device).thenAccept(r ->
            broker.publish(Topics.PREFIX + "/" + device + "/receipts", r.toReceipt(clock.millis()).toByteArray(), 1));
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
    if (s.coapPort() >= 0 || s.coapsPort() >= 0) {
      coap = new CoapIngest(s.bindHost(), s.coapPort(), s.coapsPort(), s.coapPskKeys(), pipeline, clock);
      coap.start();
    } else {
      coap = null;
    }
    if (s.apiPort() >= 0) {
      try {
        api = new RestApi(s.bindHost(), s.apiPort(), store, registry, batcher, metrics, this::health, chainInfo);
      } catch (java.io.IOException e) {
        close();
        throw new dev.popw.coordinator.SettingsException("cannot listen on API port " + s.apiPort() + ": " + e.getMessage());
      }
      api.start();
    } else {
      api = null;
    }
    LOG.info("coordinator for network '{}' running: database {}, mqtt {}, coap {}, settlement {}", s.networkId(),
        database.isPostgres() ? "postgresql" : "embedded",
        s.mqttUrl() != null ? s.mqttUrl() : broker != null ? "embedded broker on port " + broker.port() : "off",
        coap == null ? "off" : "udp/" + coap.plainPort() + (coap.securePort() >= 0 ? " dtls/" + coap.securePort() : ""),
        settlement.name());
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
    return new ChainSettlement(store, client, deployment, c, s.networkId(), clock).start();
  }

  /** The chain settlement, when one is configured. */
  public java.util.Optional<ChainSettlement> chainSettlement() {
    return settlement instanceof ChainSettlement cs ? java.util.Optional.of(cs) : java.util.Optional.empty();
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

  public CoordinatorSettings settings() {
    return settings;
  }

  public Store store() {
    return store;
  }

  public IngestPipeline pipeline() {
    return pipeline;
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
    h.put("mqtt", settings.mqttUrl() == null ? "off" : mqttConnected() ? "connected" : "disconnected");
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
    return h;
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
    pipeline.close();
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
