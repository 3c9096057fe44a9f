package dev.popw.transport.mqtt;

import dev.popw.identity.DeviceId;

/**
 * The MQTT topic layout (docs/delivery.md):
 *
 * <pre>
 *   {prefix}/{deviceId}/telemetry   device -&gt; coordinator, SignedEnvelope, QoS 1
 *   {prefix}/{deviceId}/receipts    coordinator -&gt; device, Receipt, QoS 1
 *   {prefix}/{deviceId}/challenges  coordinator -&gt; device, SignedChallenge (GPU devices), QoS 1
 * </pre>
 *
 * with prefix {@code popw/v1/devices} and the device id in its printable form ({@code did:key:...}).
 */
public final class Topics {
  /** The default prefix. */
  public static final String PREFIX = "popw/v1/devices";

  private Topics() {}

  public static String telemetry(String prefix, DeviceId device) {
    return prefix + "/" + device + "/telemetry";
  }

  public static String receipts(String prefix, DeviceId device) {
    return prefix + "/" + device + "/receipts";
  }

  public static String challenges(String prefix, DeviceId device) {
    return prefix + "/" + device + "/challenges";
  }

  /** The subscription a coordinator uses for every device's telemetry. */
  public static String allTelemetry(String prefix) {
    return prefix + "/+/telemetry";
  }
}
