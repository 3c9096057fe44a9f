package dev.popw.coordinator.mqtt;

/**
 * Decides who a CONNECT is: a device (limited to its own topics), the coordinator (every topic),
 * or nobody.
 */
@FunctionalInterface
public interface BrokerAuthenticator {
  /** Who connected: a device id (its own topics only), or a superuser name. */
  record Principal(String deviceId, String name, boolean superuser) {
    public static Principal device(String deviceId) {
      return new Principal(deviceId, deviceId, false);
    }

    public static Principal superuser(String name) {
      return new Principal(null, name, true);
    }
  }

  /** The decision on one CONNECT: a principal, or a refusal with its reason and a line for the log. */
  record Decision(Principal principal, Refusal refusal, String detail) {
    public static Decision accept(Principal p) {
      return new Decision(p, null, null);
    }

    public static Decision refuse(Refusal r, String detail) {
      return new Decision(null, r, detail);
    }
  }

  Decision authenticate(String clientId, String username, byte[] password);
}
