package dev.popw.coordinator.mqtt;

/** Why the embedded broker refused a connection, a packet or a subscription (metric {@code popw_broker_refusals_total{reason}}). */
public enum Refusal {
  /** CONNECT without credentials, or not a device id and connect token. */
  NO_CREDENTIALS,
  /** The connect token does not verify. */
  BAD_CREDENTIALS,
  /** The connect token's time is outside the window, or not newer than the last one accepted. */
  STALE_TOKEN,
  /** The client id is not the authenticated device's. */
  CLIENT_ID_MISMATCH,
  /** The device is not registered, or deactivated. */
  NOT_REGISTERED,
  /** A PUBLISH to a topic the client may not write. */
  PUBLISH_DENIED,
  /** A SUBSCRIBE to a filter the client may not read. */
  SUBSCRIBE_DENIED,
  /** More subscriptions than {@code mqtt.max_subscriptions_per_client}. */
  TOO_MANY_SUBSCRIPTIONS,
  /** More unacknowledged QoS 1 publishes than {@code mqtt.max_inflight_per_client}. */
  TOO_MANY_INFLIGHT,
  /** A packet larger than {@code mqtt.max_packet_bytes}, or one that does not decode. */
  MALFORMED_PACKET,
  /** Keep-alive 0 or above {@code mqtt.max_keep_alive_seconds} from an MQTT 3.1.1 client. */
  KEEP_ALIVE,
  /** More connections from one address than {@code mqtt.max_connections_per_address}, or in all than {@code mqtt.max_connections}. */
  TOO_MANY_CONNECTIONS,
  /** More bytes queued towards a client than {@code mqtt.max_buffered_bytes_per_client}. */
  SLOW_CONSUMER,
  /** A packet the broker does not support or that breaks the protocol (QoS 2, a second CONNECT, a wildcard in a topic name). */
  PROTOCOL
}
