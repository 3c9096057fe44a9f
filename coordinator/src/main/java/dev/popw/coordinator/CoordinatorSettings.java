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
    int mqttPort) {

  /** The development defaults: embedded database in ./popw-data, embedded MQTT broker on 1883, CoAP on 5683, API on 8080. */
  public static CoordinatorSettings defaults() {
    return new CoordinatorSettings("popw-devnet", Path.of("popw-data"), "0.0.0.0", null, "popw-coordinator-1", "popw",
        5683, -1, Map.of(), null, null, null, null, 10_000, Duration.ofSeconds(60), Duration.ofSeconds(30),
        Duration.ofMinutes(15), Duration.ofMinutes(10), 8080, 1883);
  }

  public CoordinatorSettings withNetwork(String id) {
    return new CoordinatorSettings(id, dataDirectory, bindHost, mqttUrl, mqttClientId, mqttSharedGroup, coapPort, coapsPort,
        coapPskKeys, postgresUrl, postgresUser, postgresPassword, postgresSchema, batchMaxEnvelopes, batchMaxAge, maxClockSkew,
        freshness, registrationWindow, apiPort, mqttPort);
  }

  public CoordinatorSettings withDataDirectory(Path dir) {
    return new CoordinatorSettings(networkId, dir, bindHost, mqttUrl, mqttClientId, mqttSharedGroup, coapPort, coapsPort,
        coapPskKeys, postgresUrl, postgresUser, postgresPassword, postgresSchema, batchMaxEnvelopes, batchMaxAge, maxClockSkew,
        freshness, registrationWindow, apiPort, mqttPort);
  }

  public CoordinatorSettings withMqtt(String url) {
    return new CoordinatorSettings(networkId, dataDirectory, bindHost, url, mqttClientId, mqttSharedGroup, coapPort, coapsPort,
        coapPskKeys, postgresUrl, postgresUser, postgresPassword, postgresSchema, batchMaxEnvelopes, batchMaxAge, maxClockSkew,
        freshness, registrationWindow, apiPort, mqttPort);
  }

  public CoordinatorSettings withCoap(String host, int port, int securePort, Map<String, byte[]> psk) {
    return new CoordinatorSettings(networkId, dataDirectory, host, mqttUrl, mqttClientId, mqttSharedGroup, port, securePort,
        psk, postgresUrl, postgresUser, postgresPassword, postgresSchema, batchMaxEnvelopes, batchMaxAge, maxClockSkew,
        freshness, registrationWindow, apiPort, mqttPort);
  }

  public CoordinatorSettings withPostgres(String url, String user, String password, String schema) {
    return new CoordinatorSettings(networkId, dataDirectory, bindHost, mqttUrl, mqttClientId, mqttSharedGroup, coapPort, coapsPort,
        coapPskKeys, url, user, password, schema, batchMaxEnvelopes, batchMaxAge, maxClockSkew, freshness, registrationWindow, apiPort, mqttPort);
  }

  /** The embedded broker's port (when no external broker URL is set); -1 disables it. */
  public CoordinatorSettings withEmbeddedMqtt(int port) {
    return new CoordinatorSettings(networkId, dataDirectory, bindHost, mqttUrl, mqttClientId, mqttSharedGroup, coapPort, coapsPort,
        coapPskKeys, postgresUrl, postgresUser, postgresPassword, postgresSchema, batchMaxEnvelopes, batchMaxAge, maxClockSkew,
        freshness, registrationWindow, apiPort, port);
  }

  public CoordinatorSettings withApiPort(int port) {
    return new CoordinatorSettings(networkId, dataDirectory, bindHost, mqttUrl, mqttClientId, mqttSharedGroup, coapPort, coapsPort,
        coapPskKeys, postgresUrl, postgresUser, postgresPassword, postgresSchema, batchMaxEnvelopes, batchMaxAge, maxClockSkew,
        freshness, registrationWindow, port, mqttPort);
  }

  public CoordinatorSettings withBatch(int maxEnvelopes, Duration maxAge) {
    return new CoordinatorSettings(networkId, dataDirectory, bindHost, mqttUrl, mqttClientId, mqttSharedGroup, coapPort, coapsPort,
        coapPskKeys, postgresUrl, postgresUser, postgresPassword, postgresSchema, maxEnvelopes, maxAge, maxClockSkew, freshness,
        registrationWindow, apiPort, mqttPort);
  }
}
