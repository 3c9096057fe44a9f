package dev.popw.coordinator.mqtt;

import dev.popw.identity.DeviceId;
import dev.popw.transport.mqtt.ConnectToken;
import dev.popw.transport.mqtt.MqttTransport;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The embedded broker's authentication: a device connects with its device id as user name, a
 * {@link ConnectToken} for this network and its client id as password, and the client id of its
 * own id ({@link MqttTransport#defaultClientId}); it must be registered and active. The token's
 * time must be within the window of the coordinator's clock and newer than the last token
 * accepted for the device, so a captured token cannot be replayed. A token signed by the
 * coordinator's own key makes a superuser (another coordinator, or an operator's tool).
 */
public final class DeviceAuthenticator implements BrokerAuthenticator {
  private final String networkId;
  private final Clock clock;
  private final long windowMillis;
  private final Predicate<DeviceId> registeredAndActive;
  private final DeviceId coordinator;
  /** The last token time accepted per device; entries older than the window are useless and purged. */
  private final Map<DeviceId, Long> lastToken = new ConcurrentHashMap<>();
  private volatile long nextPurge;

  public DeviceAuthenticator(String networkId, Clock clock, Duration window, Predicate<DeviceId> registeredAndActive, DeviceId coordinator) {
    this.networkId = networkId;
    this.clock = clock;
    this.windowMillis = window.toMillis();
    this.registeredAndActive = registeredAndActive;
    this.coordinator = coordinator;
  }

  @Override
  public Decision authenticate(String clientId, String username, byte[] password) {
    if (username == null || username.isEmpty() || password == null || password.length == 0) {
      return Decision.refuse(Refusal.NO_CREDENTIALS, "no user name and connect token (a device connects with its id and a signed token)");
    }
    ConnectToken.Check check = ConnectToken.verify(username, password, networkId, clientId);
    if (!check.ok()) {
      return Decision.refuse(check.failure() == ConnectToken.Failure.BAD_SIGNATURE ? Refusal.BAD_CREDENTIALS : Refusal.NO_CREDENTIALS, check.detail());
    }
    DeviceId device = check.device();
    boolean superuser = device.equals(coordinator);
    if (!superuser && !clientId.equals(MqttTransport.defaultClientId(device))) {
      return Decision.refuse(Refusal.CLIENT_ID_MISMATCH, "client id must be the device's own id " + MqttTransport.defaultClientId(device));
    }
    long now = clock.millis();
    long skew = check.unixMillis() - now;
    if (Math.abs(skew) > windowMillis) {
      return Decision.refuse(Refusal.STALE_TOKEN, "connect token is " + Math.abs(skew) / 1000 + " s " + (skew < 0 ? "old" : "ahead")
          + " (window " + windowMillis / 1000 + " s): check the device clock");
    }
    if (!superuser && !registeredAndActive.test(device)) {
      return Decision.refuse(Refusal.NOT_REGISTERED, "device is not registered or deactivated");
    }
    purge(now);
    long[] replay = {0};
    lastToken.compute(device, (d, last) -> {
      if (last != null && last >= check.unixMillis()) {
        replay[0] = last;
        return last;
      }
      return check.unixMillis();
    });
    if (replay[0] != 0) {
      return Decision.refuse(Refusal.STALE_TOKEN, "connect token is not newer than the last accepted one (replayed?)");
    }
    return Decision.accept(superuser ? Principal.superuser(device.toString()) : Principal.device(device.toString()));
  }

  /** Devices whose last token is outside the window can only present newer ones: forget them. */
  private void purge(long now) {
    if (now < nextPurge) {
      return;
    }
    nextPurge = now + windowMillis;
    lastToken.values().removeIf(t -> t < now - windowMillis);
  }

  /** Devices remembered for replay protection (tests). */
  int remembered() {
    return lastToken.size();
  }
}
