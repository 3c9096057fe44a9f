package dev.popw.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Loads {@link CoordinatorSettings}: the built-in defaults, then the TOML settings file (see
 * {@code coordinator/config/coordinator.toml}, which lists every key with its default), then
 * {@code POPW_<SECTION>_<KEY>} environment variables. Unknown keys and wrong types are errors that
 * name the key; unknown {@code POPW_*} variables are warnings ({@link #unknownVariables}).
 */
public final class SettingsLoader {
  private static final String[] BROKER_INTS = {"token_window_seconds", "max_packet_bytes", "max_subscriptions_per_client",
      "max_inflight_per_client", "max_buffered_bytes_per_client", "max_keep_alive_seconds", "max_connections_per_address", "max_connections"};

  /** Every key, "section.key", with its type: s string, i integer. */
  static final Map<String, Character> KEYS = new LinkedHashMap<>();

  static {
    for (String k : new String[] {"network_id", "data_dir", "coordinator_key_file", "bind_host", "mqtt.url", "mqtt.client_id", "mqtt.shared_group",
        "coap.psk_file", "database.postgres_url", "database.postgres_user", "database.postgres_password", "database.postgres_schema",
        "chain.mode", "chain.rpc_url", "chain.key_file", "chain.device_registry", "chain.batch_registry", "chain.anvil"}) {
      KEYS.put(k, 's');
    }
    for (String k : new String[] {"coap.port", "coap.dtls_port", "batch.max_envelopes", "batch.max_age_seconds",
        "pipeline.max_clock_skew_seconds", "pipeline.freshness_seconds", "pipeline.registration_window_seconds", "api.port", "mqtt.port",
        "chain.chain_id", "chain.confirmations", "chain.poll_interval_ms", "chain.resubmit_after_seconds", "chain.dev_port"}) {
      KEYS.put(k, 'i');
    }
  }

  static {
    KEYS.put("pipeline.accept_simulated", 'b');
    KEYS.put("epoch.length_seconds", 'i');
    KEYS.put("epoch.close_delay_seconds", 'i');
    for (String k : new String[] {"jump_window_seconds", "stuck_after_seconds", "expected_interval_seconds", "min_neighbours"}) {
      KEYS.put("validation.sensor." + k, 'i');
    }
    KEYS.put("validation.sensor.max_location_distance_m", 'd');
    KEYS.put("validation.sensor.neighbour_radius_m", 'd');
    for (dev.popw.coordinator.validation.sensor.QuantityRule r : dev.popw.coordinator.validation.sensor.SensorRules.defaults()
        .quantities().values()) {
      for (String k : new String[] {"min", "max", "max_jump", "max_deviation"}) {
        KEYS.put("validation.sensor." + r.key() + "." + k, 'd');
      }
      KEYS.put("validation.sensor." + r.key() + ".stuck_check", 'b');
    }
  }

  /** The embedded broker's authentication and limits ([mqtt]). */
  static {
    KEYS.put("mqtt.allow_anonymous", 'b');
    for (String k : BROKER_INTS) {
      KEYS.put("mqtt." + k, 'i');
    }
  }

  static {
    for (String k : new String[] {"ca_file", "cert_file", "key_file", "device_ca_key_file", "device_ca_cert_file"}) {
      KEYS.put("mqtt.tls." + k, 's');
    }
    KEYS.put("mqtt.tls.device_certificate_days", 'i');
  }

  static {
    for (String k : new String[] {"max_body_bytes", "read_timeout_seconds", "write_timeout_seconds", "idle_timeout_seconds",
        "max_connections", "threads", "workers", "queue", "rate_limit_per_second", "rate_limit_burst", "rate_limit_clients"}) {
      KEYS.put("api." + k, 'i');
    }
    KEYS.put("api.operator_token_file", 's');
    KEYS.put("api.read_requires_token", 'b');
  }

  /** The {@code [limits]} keys (all integers): see {@link LimitSettings}. */
  static final String[] LIMIT_KEYS = {"coap_requests_per_second", "coap_burst", "coap_tracked_sources", "rejected_bytes_per_device",
      "rejected_bytes_unattributed", "rejected_bytes_total", "cached_devices", "device_idle_seconds", "coap_blockwise_transfers"};

  static {
    for (String k : LIMIT_KEYS) {
      KEYS.put("limits." + k, 'i');
    }
  }

  /** Proof of coverage ([coverage]): entropy, denylist, the coverage validator's rules. */
  private static final String[] COVERAGE_INTS = {"entropy_interval_seconds", "entropy_window_seconds", "frequency_tolerance_hz",
      "witness_window_ms", "early_witness_window_ms", "min_grid_distance", "grid_resolution", "beacon_interval_seconds",
      "reciprocity_window_seconds", "max_rewarded_witnesses", "witness_redundancy", "density_resolution"};
  private static final String[] COVERAGE_DECIMALS = {"max_distance_m", "default_antenna_gain_dbi", "max_antenna_gain_dbi",
      "max_tx_power_dbm", "rssi_margin_db", "decay_rate"};
  private static final String[] FIT_DECIMALS = {"shadowing_sigma_db", "fading_sigma_db", "min_exponent", "max_exponent", "max_offset_m",
      "chi2_threshold"};

  static {
    for (String k : COVERAGE_INTS) {
      KEYS.put("coverage." + k, 'i');
    }
    for (String k : COVERAGE_DECIMALS) {
      KEYS.put("coverage." + k, 'd');
    }
    KEYS.put("coverage.denylist_file", 's');
    KEYS.put("coverage.regions", 's');
    for (var h : dev.popw.coordinator.validation.coverage.CoverageRules.defaults().hex()) {
      KEYS.put("coverage.hex_density.res" + h.resolution(), 's');
    }
    KEYS.put("coverage.location_fit.enabled", 'b');
    KEYS.put("coverage.location_fit.min_counterparts", 'i');
    for (String k : FIT_DECIMALS) {
      KEYS.put("coverage.location_fit." + k, 'd');
    }
    KEYS.put("coverage.ring.enabled", 'b');
    KEYS.put("coverage.ring.min_size", 'i');
    KEYS.put("coverage.ring.outsider_radius_m", 'd');
    KEYS.put("coverage.ring.min_outsiders", 'i');
    KEYS.put("coverage.location_check.range_enabled", 'b');
    KEYS.put("coverage.location_check.exponent", 'd');
    KEYS.put("coverage.location_check.max_deviations", 'd');
    KEYS.put("coverage.location_check.min_counterparts", 'i');
    KEYS.put("coverage.location_check.max_fit_offset_m", 'd');
    KEYS.put("coverage.location_check.max_inconsistent_links", 'i');
  }

  /** GPU capacity proofs ([gpu_proofs], [gpu_proofs.classes.*]). */
  static {
    GpuProofSettings.keys(KEYS);
    ClusterSettings.keys(KEYS);
  }

  /** Rewards ([rewards], [rewards.pools]). */
  static {
    RewardSettingsIo.keys(KEYS);
  }

  /** The explorer's map tiles ([explorer]). */
  static {
    ExplorerSettings.keys(KEYS);
  }

  private SettingsLoader() {}

  /**
   * @param file the settings file, or {@code null} for defaults and environment only
   * @param env the environment (normally {@code System.getenv()})
   * @throws SettingsException naming the problem
   */
  public static CoordinatorSettings load(Path file, Map<String, String> env) {
    return build(merge(file, env), env);
  }

  /** Defaults, then the file, then the environment: the effective raw values. */
  private static Map<String, String> merge(Path file, Map<String, String> env) {
    Map<String, String> values = new TreeMap<>(defaults());
    if (file != null) {
      values.putAll(readFile(file));
    }
    for (String key : KEYS.keySet()) {
      String name = envName(key);
      if (env.containsKey(name)) {
        values.put(key, env.get(name));
      }
    }
    return values;
  }

  /**
   * Warnings for {@code POPW_*} variables in {@code env} that name no coordinator setting (a
   * misspelled override would otherwise be ignored without a word), each naming the likely intended
   * variable when one is close. Warnings, not errors: the environment is shared with agents and
   * launchers.
   */
  public static java.util.List<String> unknownVariables(Map<String, String> env) {
    return dev.popw.settings.EnvironmentCheck.unknownVariables(env,
        java.util.stream.Stream.concat(KEYS.keySet().stream().map(SettingsLoader::envName),
            java.util.stream.Stream.of(dev.popw.coordinator.api.OperatorTokens.ENVIRONMENT)).toList(),
        "popw-coordinator", "coordinator/config/coordinator.toml");
  }

  /** The environment variable for a key: mqtt.url -> POPW_MQTT_URL. */
  public static String envName(String key) {
    return "POPW_" + key.replace('.', '_').toUpperCase(java.util.Locale.ROOT);
  }

  /** The effective values, for {@code popw-coordinator config}. Passwords are masked. */
  public static Map<String, String> describe(Path file, Map<String, String> env) {
    Map<String, String> values = merge(file, env);
    build(values, env); // validate
    Map<String, String> shown = new LinkedHashMap<>();
    for (String key : KEYS.keySet()) {
      String v = values.get(key);
      shown.put(key, key.endsWith("password") && !v.isEmpty() ? "********" : v);
    }
    return shown;
  }

  static Map<String, String> defaults() {
    return values(CoordinatorSettings.defaults());
  }

  /**
   * Settings as a settings file holding the given keys (those starting with one of {@code prefixes}),
   * which {@link #load} reads back into the same values: what an epoch export records of the
   * validators' and rewards' settings.
   */
  public static String toToml(CoordinatorSettings d, java.util.List<String> prefixes) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, String> e : values(d).entrySet()) {
      if (prefixes.stream().noneMatch(e.getKey()::startsWith)) {
        continue;
      }
      char t = KEYS.getOrDefault(e.getKey(), 's');
      String v = e.getValue();
      b.append(e.getKey()).append(" = ").append(t == 's' ? "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"" : v).append('\n');
    }
    return b.toString();
  }

  /** The raw values of given settings, one per key (the settings file's form). */
  static Map<String, String> values(CoordinatorSettings d) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("network_id", d.networkId());
    m.put("data_dir", d.dataDirectory().toString());
    m.put("coordinator_key_file", "");
    m.put("bind_host", d.bindHost());
    m.put("mqtt.url", "");
    m.put("mqtt.port", Integer.toString(d.mqttPort()));
    m.put("mqtt.client_id", d.mqttClientId());
    m.put("mqtt.shared_group", d.mqttSharedGroup());
    var b = d.broker();
    m.put("mqtt.allow_anonymous", Boolean.toString(b.allowAnonymous()));
    m.put("mqtt.token_window_seconds", Long.toString(b.tokenWindow().toSeconds()));
    m.put("mqtt.max_packet_bytes", Integer.toString(b.maxPacketBytes()));
    m.put("mqtt.max_subscriptions_per_client", Integer.toString(b.maxSubscriptionsPerClient()));
    m.put("mqtt.max_inflight_per_client", Integer.toString(b.maxInflightPerClient()));
    m.put("mqtt.max_buffered_bytes_per_client", Integer.toString(b.maxBufferedBytesPerClient()));
    m.put("mqtt.max_keep_alive_seconds", Integer.toString(b.maxKeepAliveSeconds()));
    m.put("mqtt.max_connections_per_address", Integer.toString(b.maxConnectionsPerAddress()));
    m.put("mqtt.max_connections", Integer.toString(b.maxConnections()));
    m.put("coap.port", Integer.toString(d.coapPort()));
    m.put("coap.dtls_port", Integer.toString(d.coapsPort()));
    m.put("coap.psk_file", "");
    m.put("database.postgres_url", "");
    m.put("database.postgres_user", "postgres");
    m.put("database.postgres_password", "");
    m.put("database.postgres_schema", "");
    m.put("batch.max_envelopes", Integer.toString(d.batchMaxEnvelopes()));
    m.put("batch.max_age_seconds", Long.toString(d.batchMaxAge().toSeconds()));
    m.put("pipeline.max_clock_skew_seconds", Long.toString(d.maxClockSkew().toSeconds()));
    m.put("pipeline.freshness_seconds", Long.toString(d.freshness().toSeconds()));
    m.put("pipeline.registration_window_seconds", Long.toString(d.registrationWindow().toSeconds()));
    m.put("api.port", Integer.toString(d.apiPort()));
    m.put("pipeline.accept_simulated", Boolean.toString(d.acceptSimulated()));
    var c = d.chain();
    m.put("chain.mode", c.mode());
    m.put("chain.rpc_url", c.rpcUrl());
    m.put("chain.chain_id", Long.toString(c.chainId()));
    m.put("chain.key_file", "");
    m.put("chain.device_registry", c.deviceRegistry());
    m.put("chain.batch_registry", c.batchRegistry());
    m.put("chain.confirmations", Integer.toString(c.confirmations()));
    m.put("chain.poll_interval_ms", Long.toString(c.pollInterval().toMillis()));
    m.put("chain.resubmit_after_seconds", Long.toString(c.resubmitAfter().toSeconds()));
    m.put("chain.anvil", c.anvil());
    m.put("chain.dev_port", Integer.toString(c.devPort()));
    m.put("epoch.length_seconds", Long.toString(d.epochs().length().toSeconds()));
    m.put("epoch.close_delay_seconds", Long.toString(d.epochs().closeDelay().toSeconds()));
    var api = d.api();
    m.put("api.max_body_bytes", Integer.toString(api.maxBodyBytes()));
    m.put("api.read_timeout_seconds", Long.toString(api.readTimeout().toSeconds()));
    m.put("api.write_timeout_seconds", Long.toString(api.writeTimeout().toSeconds()));
    m.put("api.idle_timeout_seconds", Long.toString(api.idleTimeout().toSeconds()));
    m.put("api.max_connections", Integer.toString(api.maxConnections()));
    m.put("api.threads", Integer.toString(api.threads()));
    m.put("api.workers", Integer.toString(api.workers()));
    m.put("api.queue", Integer.toString(api.queue()));
    m.put("api.rate_limit_per_second", Integer.toString(api.rateLimitPerSecond()));
    m.put("api.rate_limit_burst", Integer.toString(api.rateLimitBurst()));
    m.put("api.rate_limit_clients", Integer.toString(api.rateLimitClients()));
    m.put("api.operator_token_file", "");
    m.put("api.read_requires_token", Boolean.toString(api.readRequiresToken()));
    var sr = d.sensorRules();
    m.put("validation.sensor.jump_window_seconds", Long.toString(sr.jumpWindow().toSeconds()));
    m.put("validation.sensor.stuck_after_seconds", Long.toString(sr.stuckAfter().toSeconds()));
    m.put("validation.sensor.expected_interval_seconds", Long.toString(sr.expectedInterval().toSeconds()));
    m.put("validation.sensor.min_neighbours", Integer.toString(sr.minNeighbours()));
    m.put("validation.sensor.max_location_distance_m", Double.toString(sr.maxLocationDistanceM()));
    m.put("validation.sensor.neighbour_radius_m", Double.toString(sr.neighbourRadiusM()));
    for (var r : sr.quantities().values()) {
      String k = "validation.sensor." + r.key() + ".";
      m.put(k + "min", Double.toString(r.min()));
      m.put(k + "max", Double.toString(r.max()));
      m.put(k + "max_jump", Double.toString(r.maxJump()));
      m.put(k + "max_deviation", Double.toString(r.maxDeviation()));
      m.put(k + "stuck_check", Boolean.toString(r.stuckCheck()));
    }
    for (String k : new String[] {"ca_file", "cert_file", "key_file", "device_ca_key_file", "device_ca_cert_file"}) {
      m.put("mqtt.tls." + k, "");
    }
    m.put("mqtt.tls.device_certificate_days", Integer.toString(d.mqttTls().deviceCertificateDays()));
    LimitSettings l = d.limits();
    long[] limits = {l.coapRequestsPerSecond(), l.coapBurst(), l.coapTrackedSources(), l.rejectedBytesPerDevice(),
        l.rejectedBytesUnattributed(), l.rejectedBytesTotal(), l.cachedDevices(), l.deviceIdle().toSeconds(), l.coapBlockwiseTransfers()};
    for (int i = 0; i < LIMIT_KEYS.length; i++) {
      m.put("limits." + LIMIT_KEYS[i], Long.toString(limits[i]));
    }
    var cs = d.coverage();
    var cr = cs.rules();
    m.put("coverage.entropy_interval_seconds", Long.toString(cs.entropyInterval().toSeconds()));
    m.put("coverage.entropy_window_seconds", Long.toString(cr.entropyWindow().toSeconds()));
    m.put("coverage.denylist_file", "");
    m.put("coverage.frequency_tolerance_hz", Long.toString(cr.frequencyToleranceHz()));
    m.put("coverage.witness_window_ms", Long.toString(cr.witnessWindow().toMillis()));
    m.put("coverage.early_witness_window_ms", Long.toString(cr.earlyWitnessWindow().toMillis()));
    m.put("coverage.min_grid_distance", Integer.toString(cr.minGridDistance()));
    m.put("coverage.grid_resolution", Integer.toString(cr.gridResolution()));
    m.put("coverage.max_distance_m", Double.toString(cr.maxDistanceM()));
    m.put("coverage.default_antenna_gain_dbi", Double.toString(cr.defaultAntennaGainDbi()));
    m.put("coverage.max_antenna_gain_dbi", Double.toString(cr.maxAntennaGainDbi()));
    m.put("coverage.max_tx_power_dbm", Double.toString(cr.maxTxPowerDbm()));
    m.put("coverage.rssi_margin_db", Double.toString(cr.rssiMarginDb()));
    m.put("coverage.beacon_interval_seconds", Long.toString(cr.beaconInterval().toSeconds()));
    m.put("coverage.reciprocity_window_seconds", Long.toString(cr.reciprocityWindow().toSeconds()));
    m.put("coverage.max_rewarded_witnesses", Integer.toString(cr.maxRewardedWitnesses()));
    m.put("coverage.witness_redundancy", Integer.toString(cr.witnessRedundancy()));
    m.put("coverage.decay_rate", Double.toString(cr.decayRate()));
    m.put("coverage.regions", String.join(",", cr.regions().stream().map(Object::toString).toList()));
    m.put("coverage.density_resolution", Integer.toString(cr.densityResolution()));
    for (var h : cr.hex()) {
      m.put("coverage.hex_density.res" + h.resolution(), h.neighbors() + "," + h.target() + "," + h.max());
    }
    var f = cr.fit();
    m.put("coverage.location_fit.enabled", Boolean.toString(f.enabled()));
    m.put("coverage.location_fit.min_counterparts", Integer.toString(f.minCounterparts()));
    m.put("coverage.location_fit.shadowing_sigma_db", Double.toString(f.shadowingSigmaDb()));
    m.put("coverage.location_fit.fading_sigma_db", Double.toString(f.fadingSigmaDb()));
    m.put("coverage.location_fit.min_exponent", Double.toString(f.minExponent()));
    m.put("coverage.location_fit.max_exponent", Double.toString(f.maxExponent()));
    m.put("coverage.location_fit.max_offset_m", Double.toString(f.maxOffsetM()));
    m.put("coverage.location_fit.chi2_threshold", Double.toString(f.chi2Threshold()));
    var rg = cr.ring();
    m.put("coverage.ring.enabled", Boolean.toString(rg.enabled()));
    m.put("coverage.ring.min_size", Integer.toString(rg.minSize()));
    m.put("coverage.ring.outsider_radius_m", Double.toString(rg.outsiderRadiusM()));
    m.put("coverage.ring.min_outsiders", Integer.toString(rg.minOutsiders()));
    var lc = cr.check();
    m.put("coverage.location_check.range_enabled", Boolean.toString(lc.rangeEnabled()));
    m.put("coverage.location_check.exponent", Double.toString(lc.exponent()));
    m.put("coverage.location_check.max_deviations", Double.toString(lc.maxDeviations()));
    m.put("coverage.location_check.min_counterparts", Integer.toString(lc.minCounterparts()));
    m.put("coverage.location_check.max_fit_offset_m", Double.toString(lc.maxFitOffsetM()));
    m.put("coverage.location_check.max_inconsistent_links", Integer.toString(lc.maxInconsistentLinks()));
    GpuProofSettings.defaults(m, d.gpuProofs());
    RewardSettingsIo.defaults(m, d.rewards());
    RewardSettingsIo.dataDefaults(m, d.data());
    ExplorerSettings.defaults(m, d.explorer());
    ClusterSettings.defaults(m, d.cluster());
    return m;
  }

  private static dev.popw.coordinator.validation.coverage.CoverageSettings coverage(Map<String, String> v) {
    try {
      java.util.List<dev.popw.coordinator.validation.coverage.HexResolution> hex = new java.util.ArrayList<>();
      for (var h : dev.popw.coordinator.validation.coverage.CoverageRules.defaults().hex()) {
        String key = "coverage.hex_density.res" + h.resolution();
        String[] parts = v.get(key).split(",");
        if (parts.length != 3) {
          throw new SettingsException("setting '" + key + "' must be \"neighbors,target,max\", got '" + v.get(key) + "'");
        }
        try {
          hex.add(new dev.popw.coordinator.validation.coverage.HexResolution(h.resolution(), Integer.parseInt(parts[0].trim()),
              Integer.parseInt(parts[1].trim()), Integer.parseInt(parts[2].trim())));
        } catch (NumberFormatException e) {
          throw new SettingsException("setting '" + key + "' must be three integers \"neighbors,target,max\", got '" + v.get(key) + "'");
        }
      }
      var fit = new dev.popw.coordinator.validation.coverage.CoverageRules.Fit(bool(v, "coverage.location_fit.enabled"),
          integer(v, "coverage.location_fit.min_counterparts", 3, 100_000), decimal(v, "coverage.location_fit.shadowing_sigma_db", 0.1, 100),
          decimal(v, "coverage.location_fit.fading_sigma_db", 0, 100), decimal(v, "coverage.location_fit.min_exponent", 0.5, 10),
          decimal(v, "coverage.location_fit.max_exponent", 0.5, 10), decimal(v, "coverage.location_fit.max_offset_m", 0, 1e7),
          decimal(v, "coverage.location_fit.chi2_threshold", 0, 1e6));
      if (fit.minExponent() > fit.maxExponent()) {
        throw new SettingsException("coverage.location_fit.min_exponent is above max_exponent");
      }
      var ring = new dev.popw.coordinator.validation.coverage.CoverageRules.Ring(bool(v, "coverage.ring.enabled"),
          integer(v, "coverage.ring.min_size", 2, 100_000), decimal(v, "coverage.ring.outsider_radius_m", 1, 1e6),
          integer(v, "coverage.ring.min_outsiders", 1, 100_000));
      var check = new dev.popw.coordinator.validation.coverage.CoverageRules.LocationCheck(
          bool(v, "coverage.location_check.range_enabled"), decimal(v, "coverage.location_check.exponent", 2, 10),
          decimal(v, "coverage.location_check.max_deviations", 0.1, 100), integer(v, "coverage.location_check.min_counterparts", 0, 100_000),
          decimal(v, "coverage.location_check.max_fit_offset_m", 0, 1e7),
          integer(v, "coverage.location_check.max_inconsistent_links", 0, 100_000));
      var rules = new dev.popw.coordinator.validation.coverage.CoverageRules(
          Duration.ofSeconds(integer(v, "coverage.entropy_window_seconds", 1, 86_400)),
          integer(v, "coverage.frequency_tolerance_hz", 0, 1_000_000_000),
          Duration.ofMillis(integer(v, "coverage.witness_window_ms", 0, 3_600_000)),
          Duration.ofMillis(integer(v, "coverage.early_witness_window_ms", 0, 3_600_000)),
          integer(v, "coverage.min_grid_distance", 0, 1_000_000), integer(v, "coverage.grid_resolution", 0, 15),
          decimal(v, "coverage.max_distance_m", 1, 2e7), decimal(v, "coverage.default_antenna_gain_dbi", -10, 40),
          decimal(v, "coverage.max_antenna_gain_dbi", -10, 40), decimal(v, "coverage.max_tx_power_dbm", -20, 60),
          decimal(v, "coverage.rssi_margin_db", 0, 100),
          Duration.ofSeconds(integer(v, "coverage.beacon_interval_seconds", 1, 30 * 86_400)),
          Duration.ofSeconds(integer(v, "coverage.reciprocity_window_seconds", 0, 365 * 86_400)),
          integer(v, "coverage.max_rewarded_witnesses", 1, 100_000), integer(v, "coverage.witness_redundancy", 1, 100_000),
          decimal(v, "coverage.decay_rate", 0.000001, 0.999999),
          dev.popw.coordinator.validation.coverage.Region.parseList(v.get("coverage.regions")), hex,
          integer(v, "coverage.density_resolution", 0, 15), fit, ring, check);
      String deny = blankToNull(v.get("coverage.denylist_file"));
      return new dev.popw.coordinator.validation.coverage.CoverageSettings(
          Duration.ofSeconds(integer(v, "coverage.entropy_interval_seconds", 1, 86_400)), deny == null ? null : Path.of(deny), rules);
    } catch (IllegalArgumentException e) {
      throw new SettingsException(e.getMessage());
    }
  }

  private static Map<String, String> readFile(Path file) {
    JsonNode root;
    try {
      root = new TomlMapper().readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new SettingsException("settings file " + file + " does not exist");
    } catch (IOException e) {
      throw new SettingsException("settings file " + file + " is not valid TOML: " + e.getMessage().split("\n")[0]);
    }
    Map<String, String> out = new LinkedHashMap<>();
    flatten("", root, out, file);
    return out;
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out, Path file) {
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix + e.getKey();
      if (e.getValue().isObject()) {
        flatten(key + ".", e.getValue(), out, file);
        continue;
      }
      Character type = KEYS.get(key);
      if (type == null) {
        throw new SettingsException("unknown setting '" + key + "' in " + file + " (see coordinator/config/coordinator.toml)");
      }
      if (type == 'i' && !e.getValue().isIntegralNumber()) {
        throw new SettingsException("setting '" + key + "' in " + file + " must be an integer");
      }
      if (type == 'd' && !e.getValue().isNumber()) {
        throw new SettingsException("setting '" + key + "' in " + file + " must be a number");
      }
      if (type == 'b' && !e.getValue().isBoolean()) {
        throw new SettingsException("setting '" + key + "' in " + file + " must be true or false");
      }
      if (type == 's' && !e.getValue().isTextual()) {
        throw new SettingsException("setting '" + key + "' in " + file + " must be a string (in quotes)");
      }
      out.put(key, type == 'd' ? Double.toString(e.getValue().asDouble()) : e.getValue().asText());
    }
  }

  private static CoordinatorSettings build(Map<String, String> v, Map<String, String> env) {
    String network = v.get("network_id").trim();
    if (network.isEmpty()) {
      throw new SettingsException("network_id must not be empty");
    }
    int coapsPort = integer(v, "coap.dtls_port", -1, 65_535);
    Map<String, byte[]> psk = Map.of();
    if (coapsPort >= 0) {
      String pskFile = v.get("coap.psk_file");
      if (pskFile.isEmpty()) {
        throw new SettingsException("coap.dtls_port is set, so coap.psk_file must name a file of identity:hexsecret lines");
      }
      psk = readPsk(Path.of(pskFile));
    }
    CoordinatorSettings s = CoordinatorSettings.defaults().toBuilder()
        .networkId(network)
        .dataDirectory(Path.of(v.get("data_dir")))
        .coordinatorKeyFile(blankToNull(v.get("coordinator_key_file")) == null ? null : Path.of(v.get("coordinator_key_file")))
        .bindHost(v.get("bind_host"))
        .mqttUrl(blankToNull(v.get("mqtt.url")))
        .mqttPort(integer(v, "mqtt.port", -1, 65_535))
        .mqttClientId(v.get("mqtt.client_id"))
        .mqttSharedGroup(v.get("mqtt.shared_group"))
        .coapPort(integer(v, "coap.port", -1, 65_535))
        .coapsPort(coapsPort)
        .coapPskKeys(psk)
        .postgresUrl(blankToNull(v.get("database.postgres_url")))
        .postgresUser(v.get("database.postgres_user"))
        .postgresPassword(v.get("database.postgres_password"))
        .postgresSchema(blankToNull(v.get("database.postgres_schema")))
        .batchMaxEnvelopes(integer(v, "batch.max_envelopes", 1, 1_000_000))
        .batchMaxAge(Duration.ofSeconds(integer(v, "batch.max_age_seconds", 1, 86_400)))
        .maxClockSkew(Duration.ofSeconds(integer(v, "pipeline.max_clock_skew_seconds", 0, 86_400)))
        .freshness(Duration.ofSeconds(integer(v, "pipeline.freshness_seconds", 1, 365 * 86_400)))
        .registrationWindow(Duration.ofSeconds(integer(v, "pipeline.registration_window_seconds", 1, 86_400)))
        .apiPort(integer(v, "api.port", -1, 65_535))
        .chain(chain(v))
        .acceptSimulated(bool(v, "pipeline.accept_simulated"))
        .epochs(epochs(v))
        .sensorRules(sensorRules(v))
        .broker(broker(v))
        .mqttTls(mqttTls(v))
        .api(api(v, env))
        .limits(limits(v))
        .coverage(coverage(v))
        .gpuProofs(GpuProofSettings.build(v))
        .rewards(RewardSettingsIo.build(v))
        .data(RewardSettingsIo.data(v))
        .explorer(ExplorerSettings.build(v))
        .cluster(ClusterSettings.build(v))
        .build();
    if (!s.mqttSharedGroup().isBlank() && s.postgresUrl() == null) {
      throw new SettingsException("mqtt.shared_group is set but the database is the embedded one: a shared subscription splits"
          + " devices' envelopes among coordinators, and a coordinator with its own database answers NOT_REGISTERED for devices"
          + " registered elsewhere (the device drops them) and settles a resend twice. Leave mqtt.shared_group empty; several"
          + " coordinators share one PostgreSQL database with [cluster] enabled = true (docs/scale-out.md)");
    }
    if (s.cluster().enabled() && s.postgresUrl() == null) {
      throw new SettingsException("cluster.enabled = true needs PostgreSQL (database.postgres_url): the embedded database belongs to"
          + " one process. Set database.postgres_url, or leave cluster.enabled = false");
    }
    String mqttUrl = s.mqttUrl();
    if (mqttUrl != null && !(mqttUrl.startsWith("tcp://") || mqttUrl.startsWith("ssl://"))) {
      throw new SettingsException("mqtt.url must start with tcp:// or ssl://, got '" + mqttUrl + "'");
    }
    if (s.mqttTls().configured() && (mqttUrl == null || !mqttUrl.startsWith("ssl://"))) {
      throw new SettingsException("mqtt.tls.ca_file or mqtt.tls.cert_file is set, so mqtt.url must be an ssl:// URL, got '"
          + (mqttUrl == null ? "" : mqttUrl) + "'");
    }
    if (s.postgresUrl() != null && !s.postgresUrl().startsWith("jdbc:postgresql://")) {
      throw new SettingsException("database.postgres_url must start with jdbc:postgresql://, got '" + s.postgresUrl() + "'");
    }
    return s;
  }

  private static dev.popw.coordinator.mqtt.BrokerSettings broker(Map<String, String> v) {
    return new dev.popw.coordinator.mqtt.BrokerSettings(bool(v, "mqtt.allow_anonymous"),
        Duration.ofSeconds(integer(v, "mqtt.token_window_seconds", 1, 86_400)),
        integer(v, "mqtt.max_packet_bytes", 1024, 268_435_455),
        integer(v, "mqtt.max_subscriptions_per_client", 1, 100_000),
        integer(v, "mqtt.max_inflight_per_client", 1, 65_535),
        integer(v, "mqtt.max_buffered_bytes_per_client", 16 * 1024, Integer.MAX_VALUE),
        integer(v, "mqtt.max_keep_alive_seconds", 10, 65_535),
        integer(v, "mqtt.max_connections_per_address", 1, 10_000_000),
        integer(v, "mqtt.max_connections", 1, 10_000_000));
  }

  private static dev.popw.coordinator.chain.ChainSettings chain(Map<String, String> v) {
    String mode = v.get("chain.mode").trim().toLowerCase(java.util.Locale.ROOT);
    if (!mode.equals("off") && !mode.equals("dev") && !mode.equals("rpc")) {
      throw new SettingsException("chain.mode must be off, dev or rpc, got '" + v.get("chain.mode") + "'");
    }
    String url = v.get("chain.rpc_url").trim();
    String keyFile = v.get("chain.key_file").trim();
    String devices = v.get("chain.device_registry").trim();
    String batches = v.get("chain.batch_registry").trim();
    if (mode.equals("rpc")) {
      if (!url.startsWith("http://") && !url.startsWith("https://")) {
        throw new SettingsException("chain.mode is rpc, so chain.rpc_url must be an http:// or https:// JSON-RPC URL, got '" + url + "'");
      }
      if (keyFile.isEmpty()) {
        throw new SettingsException("chain.mode is rpc, so chain.key_file must name the coordinator's secp256k1 key file"
            + " (create one with 'popw-coordinator chain-key --out FILE')");
      }
      for (String[] a : new String[][] {{"chain.device_registry", devices}, {"chain.batch_registry", batches}}) {
        if (!a[1].matches("0x[0-9a-fA-F]{40}")) {
          throw new SettingsException("chain.mode is rpc, so " + a[0] + " must be a contract address (0x + 40 hex digits);"
              + " deploy the contracts with 'popw-coordinator deploy'");
        }
      }
    }
    long chainId;
    try {
      chainId = Long.parseLong(v.get("chain.chain_id").trim());
    } catch (NumberFormatException e) {
      throw new SettingsException("setting 'chain.chain_id' must be an integer, got '" + v.get("chain.chain_id") + "'");
    }
    return new dev.popw.coordinator.chain.ChainSettings(mode, url, chainId, keyFile.isEmpty() ? null : Path.of(keyFile),
        devices, batches, integer(v, "chain.confirmations", 1, 1000), Duration.ofMillis(integer(v, "chain.poll_interval_ms", 10, 600_000)),
        Duration.ofSeconds(integer(v, "chain.resubmit_after_seconds", 5, 86_400)), v.get("chain.anvil").trim(),
        integer(v, "chain.dev_port", 0, 65_535));
  }

  private static MqttTlsSettings mqttTls(Map<String, String> v) {
    Path cert = optionalPath(v, "mqtt.tls.cert_file");
    Path key = optionalPath(v, "mqtt.tls.key_file");
    if ((cert == null) != (key == null)) {
      throw new SettingsException("mqtt.tls.cert_file and mqtt.tls.key_file go together: the coordinator's client certificate and its key");
    }
    return new MqttTlsSettings(optionalPath(v, "mqtt.tls.ca_file"), cert, key, optionalPath(v, "mqtt.tls.device_ca_key_file"),
        optionalPath(v, "mqtt.tls.device_ca_cert_file"), integer(v, "mqtt.tls.device_certificate_days", 1, 7300));
  }

  private static Path optionalPath(Map<String, String> v, String key) {
    String s = blankToNull(v.get(key));
    return s == null ? null : Path.of(s);
  }

  /** The [api] section, with the operator tokens of api.operator_token_file and POPW_OPERATOR_TOKEN. */
  private static dev.popw.coordinator.api.ApiSettings api(Map<String, String> v, Map<String, String> env) {
    String file = v.get("api.operator_token_file").trim();
    try {
      return new dev.popw.coordinator.api.ApiSettings(integer(v, "api.max_body_bytes", 1, 64 << 20),
          Duration.ofSeconds(integer(v, "api.read_timeout_seconds", 1, 3600)), Duration.ofSeconds(integer(v, "api.write_timeout_seconds", 1, 3600)),
          Duration.ofSeconds(integer(v, "api.idle_timeout_seconds", 1, 3600)), integer(v, "api.max_connections", 1, 1_000_000),
          integer(v, "api.threads", 2, 10_000), integer(v, "api.workers", 1, 10_000), integer(v, "api.queue", 0, 100_000),
          integer(v, "api.rate_limit_per_second", 0, 1_000_000), integer(v, "api.rate_limit_burst", 1, 1_000_000),
          integer(v, "api.rate_limit_clients", 1, 10_000_000),
          dev.popw.coordinator.api.OperatorTokens.load(file.isEmpty() ? null : Path.of(file), env.get(dev.popw.coordinator.api.OperatorTokens.ENVIRONMENT)),
          bool(v, "api.read_requires_token"));
    } catch (IllegalArgumentException e) {
      throw new SettingsException(e.getMessage());
    }
  }

  private static LimitSettings limits(Map<String, String> v) {
    int max = Integer.MAX_VALUE;
    int minBytes = (int) LimitSettings.MIN_REJECTED_BYTES;
    try {
      return new LimitSettings(integer(v, "limits.coap_requests_per_second", 0, 1_000_000), integer(v, "limits.coap_burst", 1, 1_000_000),
          integer(v, "limits.coap_tracked_sources", 1, 10_000_000), integer(v, "limits.rejected_bytes_per_device", minBytes, max),
          integer(v, "limits.rejected_bytes_unattributed", minBytes, max), integer(v, "limits.rejected_bytes_total", minBytes, max),
          integer(v, "limits.cached_devices", 1, 100_000_000), Duration.ofSeconds(integer(v, "limits.device_idle_seconds", 1, 30 * 86_400)),
          integer(v, "limits.coap_blockwise_transfers", 1, 1_000_000));
    } catch (IllegalArgumentException e) {
      throw new SettingsException(e.getMessage());
    }
  }

  private static dev.popw.coordinator.epoch.EpochSchedule epochs(Map<String, String> v) {
    try {
      return new dev.popw.coordinator.epoch.EpochSchedule(Duration.ofSeconds(integer(v, "epoch.length_seconds", 1, 365 * 86_400)),
          Duration.ofSeconds(integer(v, "epoch.close_delay_seconds", 0, 86_400)));
    } catch (IllegalArgumentException e) {
      throw new SettingsException(e.getMessage());
    }
  }

  private static dev.popw.coordinator.validation.sensor.SensorRules sensorRules(Map<String, String> v) {
    var r = dev.popw.coordinator.validation.sensor.SensorRules.defaults();
    try {
      r = r.withTiming(Duration.ofSeconds(integer(v, "validation.sensor.jump_window_seconds", 1, 86_400)),
          Duration.ofSeconds(integer(v, "validation.sensor.stuck_after_seconds", 60, 30 * 86_400)),
          Duration.ofSeconds(integer(v, "validation.sensor.expected_interval_seconds", 1, 86_400)));
      r = r.withPlaces(decimal(v, "validation.sensor.max_location_distance_m", 0, 40_000_000),
          decimal(v, "validation.sensor.neighbour_radius_m", 1, 40_000_000), integer(v, "validation.sensor.min_neighbours", 1, 1000));
      for (var q : dev.popw.coordinator.validation.sensor.SensorRules.defaults().quantities().values()) {
        String k = "validation.sensor." + q.key() + ".";
        r = r.withQuantity(q.quantity(), decimal(v, k + "min", -1e12, 1e12), decimal(v, k + "max", -1e12, 1e12),
            decimal(v, k + "max_jump", 0, 1e12), decimal(v, k + "max_deviation", 0, 1e12), bool(v, k + "stuck_check"));
      }
    } catch (IllegalArgumentException e) {
      throw new SettingsException(e.getMessage());
    }
    return r;
  }

  private static double decimal(Map<String, String> v, String key, double min, double max) {
    String text = v.get(key).trim();
    double d;
    try {
      d = Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new SettingsException("setting '" + key + "' (or " + envName(key) + ") must be a number, got '" + text + "'");
    }
    if (!(d >= min && d <= max)) {
      throw new SettingsException("setting '" + key + "' must be between " + min + " and " + max + ", got " + text);
    }
    return d;
  }

  private static boolean bool(Map<String, String> v, String key) {
    String t = v.get(key).trim().toLowerCase(java.util.Locale.ROOT);
    if (!t.equals("true") && !t.equals("false")) {
      throw new SettingsException("setting '" + key + "' (or " + envName(key) + ") must be true or false, got '" + v.get(key) + "'");
    }
    return Boolean.parseBoolean(t);
  }

  private static int integer(Map<String, String> v, String key, int min, int max) {
    String text = v.get(key).trim();
    int n;
    try {
      n = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new SettingsException("setting '" + key + "' (or " + envName(key) + ") must be an integer, got '" + text + "'");
    }
    if (n < min || n > max) {
      throw new SettingsException("setting '" + key + "' must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }

  private static Map<String, byte[]> readPsk(Path file) {
    Map<String, byte[]> keys = new LinkedHashMap<>();
    try {
      int line = 0;
      for (String l : Files.readAllLines(file)) {
        line++;
        String t = l.trim();
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        int colon = t.lastIndexOf(':');
        if (colon <= 0) {
          throw new SettingsException(file + " line " + line + ": expected identity:hexsecret");
        }
        try {
          String secret = t.substring(colon + 1);
          keys.put(t.substring(0, colon), HexFormat.of().parseHex(secret.regionMatches(true, 0, "0x", 0, 2) ? secret.substring(2) : secret));
        } catch (IllegalArgumentException e) {
          throw new SettingsException(file + " line " + line + ": the secret is not hex");
        }
      }
    } catch (IOException e) {
      throw new SettingsException("cannot read coap.psk_file " + file + ": " + e.getMessage());
    }
    if (keys.isEmpty()) {
      throw new SettingsException("coap.psk_file " + file + " holds no keys");
    }
    return keys;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
