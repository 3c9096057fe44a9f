package dev.popw.transport.mqtt;

/** When an MQTT-delivered envelope counts as delivered, and leaves the outbox. */
public enum AckMode {
  /**
   * When the coordinator's receipt arrives on the device's receipts topic: end to end, so an
   * envelope that a broker accepted but lost (restart without persistence) is sent again. The
   * default.
   */
  RECEIPT,
  /** When the broker sends PUBACK (QoS 1). For brokers you trust to persist, and for benchmarks. */
  PUBACK
}
