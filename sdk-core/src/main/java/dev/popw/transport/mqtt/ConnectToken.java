package dev.popw.transport.mqtt;

import dev.popw.identity.DeviceId;
import dev.popw.identity.DeviceSigner;
import dev.popw.internal.crypto.SignatureCheck;
import dev.popw.internal.crypto.VerifyingKey;
import dev.popw.internal.keys.Schemes;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * How a device proves to the coordinator's MQTT broker that it holds its key: the CONNECT packet
 * carries the device id as user name and a fresh signed token as password (docs/security.md,
 * "Broker authentication", with a test vector).
 *
 * <pre>
 *   message  = UTF-8("popw-mqtt-connect-v1\n" + network_id + "\n" + client_id + "\n" + unix_millis)
 *   password = UTF-8("v1." + unix_millis + "." + base64url_nopad(signature(message)))
 * </pre>
 *
 * where {@code unix_millis} is the device's clock in decimal without leading zeros and the
 * signature is the device key's envelope scheme (pure Ed25519, or ECDSA over SHA-256, P1363
 * encoded, low-S). The domain string keeps a token from ever being a valid signature of an
 * envelope or a registration; the network id and client id bind it to one network and one
 * connection identity; the broker refuses a token older or newer than its window, and one not
 * newer than the last it accepted for the device, so a token cannot be replayed.
 */
public final class ConnectToken {
  /** The domain-separation string, the first line of every token message. */
  public static final String DOMAIN = "popw-mqtt-connect-v1";

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();
  /** "v1." + 20 digits + "." + 86 base64url characters, with room to spare. */
  private static final int MAX_PASSWORD_BYTES = 160;

  private ConnectToken() {}

  /** The signed message for these inputs. */
  public static byte[] message(String networkId, String clientId, long unixMillis) {
    Objects.requireNonNull(networkId, "networkId");
    Objects.requireNonNull(clientId, "clientId");
    if (unixMillis < 0) {
      throw new IllegalArgumentException("timestamp must not be negative: " + unixMillis);
    }
    return (DOMAIN + "\n" + networkId + "\n" + clientId + "\n" + unixMillis).getBytes(StandardCharsets.UTF_8);
  }

  /** A fresh password: the token for this network, client id and time, signed by {@code signer}. */
  public static String password(DeviceSigner signer, String networkId, String clientId, long unixMillis) {
    byte[] signature = signer.sign(message(networkId, clientId, unixMillis));
    return "v1." + unixMillis + "." + B64.encodeToString(signature);
  }

  /** Why a CONNECT's credentials were refused. */
  public enum Failure {
    /** No user name, or one that is not a device id. */
    BAD_USERNAME,
    /** No password, or one not of the form {@code v1.<millis>.<signature>}. */
    MALFORMED,
    /** The signature does not verify for this device, network and client id. */
    BAD_SIGNATURE
  }

  /** The outcome of {@link #verify}: the device and the token's time, or why it was refused. */
  public record Check(DeviceId device, long unixMillis, Failure failure, String detail) {
    public boolean ok() {
      return failure == null;
    }

    static Check fail(Failure f, String detail) {
      return new Check(null, 0, f, detail);
    }
  }

  /**
   * Checks a CONNECT's credentials: that {@code username} is a device id and {@code password} is
   * its signature of the token for {@code networkId} and {@code clientId}. Does not judge the time
   * (the broker does, with its own clock). Never throws.
   */
  public static Check verify(String username, byte[] password, String networkId, String clientId) {
    DeviceId device;
    try {
      device = DeviceId.parse(username);
    } catch (RuntimeException e) {
      return Check.fail(Failure.BAD_USERNAME, username == null || username.isEmpty() ? "no user name (the device id)" : "user name is not a device id");
    }
    if (password == null || password.length == 0 || password.length > MAX_PASSWORD_BYTES) {
      return Check.fail(Failure.MALFORMED, password == null || password.length == 0 ? "no password (the signed connect token)" : "password too long for a connect token");
    }
    String p = new String(password, StandardCharsets.US_ASCII);
    String[] parts = p.split("\\.", -1);
    if (parts.length != 3 || !parts[0].equals("v1") || parts[1].isEmpty() || parts[1].length() > 19
        || !parts[1].chars().allMatch(c -> c >= '0' && c <= '9') || (parts[1].length() > 1 && parts[1].charAt(0) == '0')) {
      return Check.fail(Failure.MALFORMED, "password is not a v1 connect token");
    }
    long millis;
    byte[] signature;
    try {
      millis = Long.parseLong(parts[1]);
      signature = B64D.decode(parts[2]);
    } catch (IllegalArgumentException e) {
      return Check.fail(Failure.MALFORMED, "password is not a v1 connect token");
    }
    if (signature.length != 64 || !B64.encodeToString(signature).equals(parts[2])) {
      return Check.fail(Failure.MALFORMED, "connect token signature is not 64 bytes in canonical base64url");
    }
    VerifyingKey key = Schemes.decodePublicKey(device.keyType(), device.publicKey());
    if (key == null) {
      return Check.fail(Failure.BAD_USERNAME, "user name's key is not a valid " + device.keyType().label() + " key");
    }
    byte[] m = message(networkId, clientId, millis);
    if (key.verify(m, 0, m.length, signature) != SignatureCheck.VALID) {
      return Check.fail(Failure.BAD_SIGNATURE, "connect token signature does not verify for this device, network and client id");
    }
    return new Check(device, millis, null, null);
  }
}
