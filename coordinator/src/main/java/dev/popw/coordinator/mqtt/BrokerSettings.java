package dev.popw.coordinator.mqtt;

import java.time.Duration;

/**
 * The embedded broker's security settings and resource limits ({@code [mqtt]} in the settings
 * file; every default is in coordinator/config/coordinator.toml and docs/security.md).
 *
 * @param allowAnonymous accept CONNECTs without a device's signed token, with no topic
 *     restrictions (development against old clients only; never in production)
 * @param tokenWindow how far a connect token's time may be from the coordinator's clock
 * @param maxPacketBytes the largest MQTT packet accepted; larger ones close the connection
 * @param maxSubscriptionsPerClient topic filters one client may hold
 * @param maxInflightPerClient QoS 1 publishes a client may have awaiting their PUBACK (announced
 *     as Receive Maximum to MQTT 5 clients)
 * @param maxBufferedBytesPerClient bytes queued towards a client that does not read; above it the
 *     client is disconnected as a slow consumer
 * @param maxKeepAliveSeconds the longest keep-alive accepted; 0 ("never") counts as longer. MQTT 5
 *     clients are told to use this value; MQTT 3.1.1 clients asking for more are refused
 * @param maxConnectionsPerAddress connections from one source address
 * @param maxConnections connections in all
 */
public record BrokerSettings(
    boolean allowAnonymous,
    Duration tokenWindow,
    int maxPacketBytes,
    int maxSubscriptionsPerClient,
    int maxInflightPerClient,
    int maxBufferedBytesPerClient,
    int maxKeepAliveSeconds,
    int maxConnectionsPerAddress,
    int maxConnections) {

  public static BrokerSettings defaults() {
    return new BrokerSettings(false, Duration.ofMinutes(5), 32 * 1024, 16, 1000, 1024 * 1024, 300, 1000, 100_000);
  }

  public BrokerSettings withAnonymous(boolean allow) {
    return new BrokerSettings(allow, tokenWindow, maxPacketBytes, maxSubscriptionsPerClient, maxInflightPerClient,
        maxBufferedBytesPerClient, maxKeepAliveSeconds, maxConnectionsPerAddress, maxConnections);
  }
}
