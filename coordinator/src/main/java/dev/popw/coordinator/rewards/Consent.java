package dev.popw.coordinator.rewards;

import dev.popw.identity.EvmAddress;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

/**
 * An owner's consent to a device (docs/rewards.md, "Owner consent"): an EIP-712 signature by the
 * owner's key over
 *
 * <pre>
 *   domain  EIP712Domain(string name,string version) = ("PoPW Edge", "1")
 *   message DeviceConsent(string network,string device,address owner)
 * </pre>
 *
 * Wallets show it as typed data (eth_signTypedData_v4). A registration names an owner without the
 * owner's say; rewards go only to devices whose owner signed this or staked on them.
 */
public final class Consent {
  private static final byte[] DOMAIN_TYPE = Hash.sha3("EIP712Domain(string name,string version)".getBytes(StandardCharsets.UTF_8));
  private static final byte[] CONSENT_TYPE = Hash.sha3("DeviceConsent(string network,string device,address owner)"
      .getBytes(StandardCharsets.UTF_8));
  private static final byte[] DOMAIN_SEPARATOR = Hash.sha3(concat(DOMAIN_TYPE, Hash.sha3("PoPW Edge".getBytes(StandardCharsets.UTF_8)),
      Hash.sha3("1".getBytes(StandardCharsets.UTF_8))));

  private Consent() {}

  /** The EIP-712 digest the owner signs. */
  public static byte[] digest(String network, String deviceId, String owner) {
    byte[] addr = new byte[32];
    byte[] a = EvmAddress.parse(owner).bytes();
    System.arraycopy(a, 0, addr, 12, 20);
    byte[] struct = Hash.sha3(concat(CONSENT_TYPE, Hash.sha3(network.getBytes(StandardCharsets.UTF_8)),
        Hash.sha3(deviceId.getBytes(StandardCharsets.UTF_8)), addr));
    return Hash.sha3(concat(new byte[] {0x19, 0x01}, DOMAIN_SEPARATOR, struct));
  }

  /** Signs a consent with an owner's key: 65 bytes r || s || v (v 27 or 28). */
  public static byte[] sign(Credentials owner, String network, String deviceId) {
    Sign.SignatureData s = Sign.signMessage(digest(network, deviceId, owner.getAddress()), owner.getEcKeyPair(), false);
    return concat(s.getR(), s.getS(), s.getV());
  }

  /**
   * Whether {@code signature} is {@code owner}'s consent to the device.
   *
   * @throws IllegalArgumentException with a reason when it is not 65 bytes, is high-S, or does not recover
   */
  public static boolean verify(String network, String deviceId, String owner, byte[] signature) {
    if (signature.length != 65) {
      throw new IllegalArgumentException("a consent signature is 65 bytes (r, s, v), not " + signature.length);
    }
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, 32, 64));
    if (s.compareTo(Sign.CURVE_PARAMS.getN().shiftRight(1)) > 0) {
      throw new IllegalArgumentException("a consent signature must have a low s (EIP-2)");
    }
    byte v = signature[64];
    if (v == 0 || v == 1) {
      v += 27;
    }
    if (v != 27 && v != 28) {
      throw new IllegalArgumentException("a consent signature's v must be 27 or 28");
    }
    try {
      BigInteger key = Sign.signedMessageHashToKey(digest(network, deviceId, owner),
          new Sign.SignatureData(v, Arrays.copyOfRange(signature, 0, 32), Arrays.copyOfRange(signature, 32, 64)));
      return ("0x" + Keys.getAddress(key)).equals(owner.toLowerCase(Locale.ROOT));
    } catch (java.security.SignatureException | RuntimeException e) {
      throw new IllegalArgumentException("the consent signature does not recover to a key: " + e.getMessage());
    }
  }

  public static String hex(byte[] signature) {
    return Numeric.toHexString(signature);
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int o = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, o, p.length);
      o += p.length;
    }
    return out;
  }
}
