package dev.popw.coordinator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Everything a coordinator is configured with. Defaults: {@link #defaults()}. Loading from the
 * settings file and {@code POPW_} environment overrides: {@link SettingsLoader}.
 *
 * @param mqttUrl external broker URI ({@code tcp://host:1883}); null disables MQTT ingest
 * @param coapPort coap:// port; -1 disables, 0 picks a free port
 * @param coapsPort coaps:// (DTLS, PSK) port; -1 disables
 * @param postgresUrl JDBC URL; null selects the embedded database in {@code dataDirectory}
 * @param mqttPort port of the embedded MQTT broker, used when {@code mqttUrl} is null; -1 disables it
 * @param apiPort HTTP port of the REST API and /metrics; -1 disables, 0 picks a free port
 * @param bindHost the address the API, the embedded MQTT broker and CoAP listen on; the default
 *     127.0.0.1 serves this machine only, "0.0.0.0" every interface
 * @param api the API's limits and operator tokens (settings section {@code [api]})
 * @param limits what senders can make the coordinator spend (CoAP rate, rejection storage, device cache)
 */
public record CoordinatorSettings(
    String networkId,
    Path dataDirectory,
    String bindHost,
    String mqttUrl,
    String mqttClientId,
    String mqttSharedGroup,
    int coapPort,
    int coapsPort,
    Map<String, byte[]> coapPskKeys,
    String postgresUrl,
    String postgresUser,
    String postgresPassword,
    String postgresSchema,
    int batchMaxEnvelopes,
    Duration batchMaxAge,
    Duration maxClockSkew,
    Duration freshness,
    Duration registrationWindow,
    int apiPort,
    int mqttPort,
    dev.popw.coordinator.chain.ChainSettings chain,
    boolean acceptSimulated,
    dev.popw.coordinator.epoch.EpochSchedule epochs,
    dev.popw.coordinator.validation.sensor.SensorRules sensorRules,
    Path coordinatorKeyFile,
    dev.popw.coordinator.mqtt.BrokerSettings broker,
    MqttTlsSettings mqttTls,
    dev.popw.coordinator.api.ApiSettings api,
    LimitSettings limits,
    dev.popw.coordinator.validation.coverage.CoverageSettings coverage,
    dev.popw.coordinator.validation.gpu.GpuProofRules gpuProofs, dev.popw.coordinator.rewards.RewardSettings rewards,
    dev.popw.coordinator.data.DataSettings data,
    ClusterSettings cluster,
    ExplorerSettings explorer) {

  /** The development defaults: embedded database in ./popw-data, embedded MQTT broker on 1883, CoAP on 5683, API on 8080. */
  public static CoordinatorSettings defaults() {
    return new CoordinatorSettings("popw-devnet", Path.of("popw-data"), "127.0.0.1", null, "popw-coordinator-1", "",
        5683, -1, Map.of(), null, null, null, null, 10_000, Duration.ofSeconds(60), Duration.ofSeconds(30),
        Duration.ofMinutes(15), Duration.ofMinutes(10), 8080, 1883,
        dev.popw.coordinator.chain.ChainSettings.off(), true, dev.popw.coordinator.epoch.EpochSchedule.defaults(),
        dev.popw.coordinator.validation.sensor.SensorRules.defaults(), null, dev.popw.coordinator.mqtt.BrokerSettings.defaults(),
        MqttTlsSettings.defaults(), dev.popw.coordinator.api.ApiSettings.defaults(),
        LimitSettings.defaults(), dev.popw.coordinator.validation.coverage.CoverageSettings.defaults(),
        dev.popw.coordinator.validation.gpu.GpuProofRules.defaults(), dev.popw.coordinator.rewards.RewardSettings.defaults(),
        dev.popw.coordinator.data.DataSettings.defaults(),
        ClusterSettings.defaults(), ExplorerSettings.defaults());
  }

  /**
   * The coordinator's Ed25519 key that signs everything it tells devices (receipts): this file,
   * or, when null, {@code coordinator.key} in the data directory, generated (mode 0600) on first
   * start.
   */
  public Path receiptKeyFile() {
    return coordinatorKeyFile != null ? coordinatorKeyFile : dataDirectory.resolve("coordinator.key");
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  public CoordinatorSettings withNetwork(String id) {
    return toBuilder().networkId(id).build();
  }

  public CoordinatorSettings withDataDirectory(Path dir) {
    return toBuilder().dataDirectory(dir).build();
  }

  /** Consume telemetry from an external broker ({@code null}: none). */
  public CoordinatorSettings withMqtt(String url) {
    return toBuilder().mqttUrl(url).build();
  }

  /** The embedded broker's port (when no external broker URL is set); -1 disables it. */
  public CoordinatorSettings withEmbeddedMqtt(int port) {
    return toBuilder().mqttPort(port).build();
  }

  public CoordinatorSettings withCoap(String host, int port, int securePort, Map<String, byte[]> psk) {
    return toBuilder().bindHost(host).coapPort(port).coapsPort(securePort).coapPskKeys(psk).build();
  }

  public CoordinatorSettings withPostgres(String url, String user, String password, String schema) {
    return toBuilder().postgresUrl(url).postgresUser(user).postgresPassword(password).postgresSchema(schema).build();
  }

  public CoordinatorSettings withApiPort(int port) {
    return toBuilder().apiPort(port).build();
  }

  /** Epochs of this length, closed {@code closeDelay} after their end. */
  public CoordinatorSettings withEpochs(Duration length, Duration closeDelay) {
    return toBuilder().epochs(new dev.popw.coordinator.epoch.EpochSchedule(length, closeDelay)).build();
  }

  public CoordinatorSettings withBatch(int maxEnvelopes, Duration maxAge) {
    return toBuilder().batchMaxEnvelopes(maxEnvelopes).batchMaxAge(maxAge).build();
  }

  /** How batches settle: off (database only), dev (local anvil) or rpc (an existing chain). */
  public CoordinatorSettings withChain(dev.popw.coordinator.chain.ChainSettings chain) {
    return toBuilder().chain(chain).build();
  }

  /** Mutable copy of the settings; {@link #build()} makes them immutable again. */
  public static final class Builder {
    private String networkId;
    private Path dataDirectory;
    private String bindHost;
    private String mqttUrl;
    private String mqttClientId;
    private String mqttSharedGroup;
    private int coapPort;
    private int coapsPort;
    private Map<String, byte[]> coapPskKeys;
    private String postgresUrl;
    private String postgresUser;
    private String postgresPassword;
    private String postgresSchema;
    private int batchMaxEnvelopes;
    private Duration batchMaxAge;
    private Duration maxClockSkew;
    private Duration freshness;
    private Duration registrationWindow;
    private int apiPort;
    private int mqttPort;
    private dev.popw.coordinator.chain.ChainSettings chain;
    private boolean acceptSimulated;
    private dev.popw.coordinator.epoch.EpochSchedule epochs;
    private dev.popw.coordinator.validation.sensor.SensorRules sensorRules;
    private Path coordinatorKeyFile;
    private dev.popw.coordinator.mqtt.BrokerSettings broker;
    private MqttTlsSettings mqttTls;
    private dev.popw.coordinator.api.ApiSettings api;
    private LimitSettings limits;
    private dev.popw.coordinator.validation.coverage.CoverageSettings coverage;

    private dev.popw.coordinator.validation.gpu.GpuProofRules gpuProofs;
    private dev.popw.coordinator.rewards.RewardSettings rewards;
    private dev.popw.coordinator.data.DataSettings data;
    private ClusterSettings cluster;
    private ExplorerSettings explorer;

    private Builder(CoordinatorSettings s) {
      this.coverage = s.coverage;
      this.gpuProofs = s.gpuProofs;
      this.rewards = s.rewards;
      this.data = s.data;
      this.cluster = s.cluster;
      this.explorer = s.explorer;
      this.broker = s.broker;
      this.coordinatorKeyFile = s.coordinatorKeyFile;
      this.networkId = s.networkId;
      this.dataDirectory = s.dataDirectory;
      this.bindHost = s.bindHost;
      this.mqttUrl = s.mqttUrl;
      this.mqttClientId = s.mqttClientId;
      this.mqttSharedGroup = s.mqttSharedGroup;
      this.coapPort = s.coapPort;
      this.coapsPort = s.coapsPort;
      this.coapPskKeys = s.coapPskKeys;
      this.postgresUrl = s.postgresUrl;
      this.postgresUser = s.postgresUser;
      this.postgresPassword = s.postgresPassword;
      this.postgresSchema = s.postgresSchema;
      this.batchMaxEnvelopes = s.batchMaxEnvelopes;
      this.batchMaxAge = s.batchMaxAge;
      this.maxClockSkew = s.maxClockSkew;
      this.freshness = s.freshness;
      this.registrationWindow = s.registrationWindow;
      this.apiPort = s.apiPort;
      this.mqttPort = s.mqttPort;
      this.chain = s.chain;
      this.acceptSimulated = s.acceptSimulated;
      this.epochs = s.epochs;
      this.sensorRules = s.sensorRules;
      this.mqttTls = s.mqttTls;
      this.api = s.api;
      this.limits = s.limits;
    }

    public Builder networkId(String v) {
      this.networkId = v;
      return this;
    }

    public Builder dataDirectory(Path v) {
      this.dataDirectory = v;
      return this;
    }

    public Builder bindHost(String v) {
      this.bindHost = v;
      return this;
    }

    public Builder mqttUrl(String v) {
      this.mqttUrl = v;
      return this;
    }

    public Builder mqttClientId(String v) {
      this.mqttClientId = v;
      return this;
    }

    public Builder mqttSharedGroup(String v) {
      this.mqttSharedGroup = v;
      return this;
    }

    public Builder coapPort(int v) {
      this.coapPort = v;
      return this;
    }

    public Builder coapsPort(int v) {
      this.coapsPort = v;
      return this;
    }

    public Builder coapPskKeys(Map<String, byte[]> v) {
      this.coapPskKeys = v;
      return this;
    }

    public Builder postgresUrl(String v) {
      this.postgresUrl = v;
      return this;
    }

    public Builder postgresUser(String v) {
      this.postgresUser = v;
      return this;
    }

    public Builder postgresPassword(String v) {
      this.postgresPassword = v;
      return this;
    }

    public Builder postgresSchema(String v) {
      this.postgresSchema = v;
      return this;
    }

    public Builder batchMaxEnvelopes(int v) {
      this.batchMaxEnvelopes = v;
      return this;
    }

    public Builder batchMaxAge(Duration v) {
      this.batchMaxAge = v;
      return this;
    }

    public Builder maxClockSkew(Duration v) {
      this.maxClockSkew = v;
      return this;
    }

    public Builder freshness(Duration v) {
      this.freshness = v;
      return this;
    }

    public Builder registrationWindow(Duration v) {
      this.registrationWindow = v;
      return this;
    }

    public Builder apiPort(int v) {
      this.apiPort = v;
      return this;
    }

    public Builder mqttPort(int v) {
      this.mqttPort = v;
      return this;
    }

    public Builder chain(dev.popw.coordinator.chain.ChainSettings v) {
      this.chain = v;
      return this;
    }

    public Builder acceptSimulated(boolean v) {
      this.acceptSimulated = v;
      return this;
    }

    /** Epoch length and close delay. */
    public Builder epochs(dev.popw.coordinator.epoch.EpochSchedule v) {
      this.epochs = v;
      return this;
    }

    /** The sensor validator's published parameters. */
    public Builder sensorRules(dev.popw.coordinator.validation.sensor.SensorRules v) {
      this.sensorRules = v;
      return this;
    }

    /** The receipt-signing key file; null: {@code coordinator.key} in the data directory. */
    public Builder coordinatorKeyFile(Path v) {
      this.coordinatorKeyFile = v;
      return this;
    }

    /** The embedded broker's authentication and limits. */
    public Builder broker(dev.popw.coordinator.mqtt.BrokerSettings v) {
      this.broker = v;
      return this;
    }

    /** TLS towards an external broker, and the device CA ({@code [mqtt.tls]}). */
    public Builder mqttTls(MqttTlsSettings v) {
      this.mqttTls = v;
      return this;
    }

    /** The API's limits and operator tokens. */
    public Builder api(dev.popw.coordinator.api.ApiSettings v) {
      this.api = v;
      return this;
    }

    /** CoAP rate limit, rejection storage caps and the device cache ({@code [limits]}). */
    public Builder limits(LimitSettings v) {
      this.limits = java.util.Objects.requireNonNull(v, "limits");
      return this;
    }

    /** Entropy, denylist and the coverage validator's rules. */
    public Builder coverage(dev.popw.coordinator.validation.coverage.CoverageSettings v) {
      this.coverage = v;
      return this;
    }

    /** GPU capacity proofs: challenge schedule, class table, deadlines. */
    public Builder gpuProofs(dev.popw.coordinator.validation.gpu.GpuProofRules v) {
      this.gpuProofs = v;
      return this;
    }

    /** Rewards ({@code [rewards]}). */
    public Builder rewards(dev.popw.coordinator.rewards.RewardSettings v) {
      this.rewards = v;
      return this;
    }

    /** The paid data API ({@code [data]}). */
    public Builder data(dev.popw.coordinator.data.DataSettings v) {
      this.data = v;
      return this;
    }

    /** Several coordinators on one PostgreSQL schema ({@code [cluster]}, docs/scale-out.md). */
    public Builder cluster(ClusterSettings v) {
      this.cluster = v;
      return this;
    }

    /** The explorer map's tile layer ({@code [explorer]}). */
    public Builder explorer(ExplorerSettings v) {
      this.explorer = v;
      return this;
    }

    public CoordinatorSettings build() {
      return new CoordinatorSettings(networkId, dataDirectory, bindHost, mqttUrl, mqttClientId, mqttSharedGroup, coapPort, coapsPort, coapPskKeys, postgresUrl, postgresUser, postgresPassword, postgresSchema, batchMaxEnvelopes, batchMaxAge, maxClockSkew, freshness, registrationWindow, apiPort, mqttPort, chain, acceptSimulated, epochs, sensorRules, coordinatorKeyFile, broker, mqttTls, api, limits, coverage, gpuProofs, rewards, data,
          cluster == null ? ClusterSettings.defaults() : cluster, explorer == null ? ExplorerSettings.defaults() : explorer);
    }
  }
}
