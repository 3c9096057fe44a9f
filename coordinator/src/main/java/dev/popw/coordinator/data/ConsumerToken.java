package dev.popw.coordinator.data;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

/**
 * How a data consumer proves it holds its credit account's key: {@code Authorization: PoPW-Consumer
 * v1.<unix ms>.<hex r||s||v>}, an EIP-191 {@code personal_sign} of {@code "popw-data-v1\n" +
 * network + "\n" + ms} (what a wallet signs as a plain message). The recovered address is the
 * account whose credits pay.
 */
public final class ConsumerToken {
  public static final String SCHEME = "PoPW-Consumer";

  private ConsumerToken() {}

  static byte[] message(String network, long ms) {
    return ("popw-data-v1\n" + network + "\n" + ms).getBytes(StandardCharsets.UTF_8);
  }

  /** A token for the account of {@code key}, at {@code ms}. */
  public static String create(Credentials key, String network, long ms) {
    Sign.SignatureData s = Sign.signPrefixedMessage(message(network, ms), key.getEcKeyPair());
    byte[] sig = new byte[65];
    System.arraycopy(s.getR(), 0, sig, 0, 32);
    System.arraycopy(s.getS(), 0, sig, 32, 32);
    sig[64] = s.getV()[0];
    return "v1." + ms + "." + HexFormat.of().formatHex(sig);
  }

  /** The header value for a token. */
  public static String header(Credentials key, String network, long ms) {
    return SCHEME + " " + create(key, network, ms);
  }

  /**
   * The account a header authenticates.
   *
   * @throws IllegalArgumentException with the reason when it does not
   */
  public static String account(String header, String network, long nowMs, long windowMs) {
    if (header == null || !header.startsWith(SCHEME + " ")) {
      throw new IllegalArgumentException("send Authorization: " + SCHEME + " v1.<ms>.<signature> (docs/rewards.md, \"Data credits\")");
    }
    String[] f = header.substring(SCHEME.length() + 1).trim().split("\\.");
    if (f.length != 3 || !f[0].equals("v1") || f[1].length() > 15 || !f[1].matches("[0-9]+") || !f[2].matches("[0-9a-fA-F]{130}")) {
      throw new IllegalArgumentException("a consumer token is v1.<unix ms>.<65-byte signature in hex>");
    }
    long ms = Long.parseLong(f[1]);
    if (Math.abs(nowMs - ms) > windowMs) {
      throw new IllegalArgumentException("the consumer token's time is " + (nowMs - ms) / 1000 + " s from the coordinator's (at most "
          + windowMs / 1000 + " s): make a fresh one");
    }
    byte[] sig = HexFormat.of().parseHex(f[2]);
    byte v = sig[64] < 27 ? (byte) (sig[64] + 27) : sig[64];
    try {
      var key = Sign.signedPrefixedMessageToKey(message(network, ms),
          new Sign.SignatureData(v, Arrays.copyOfRange(sig, 0, 32), Arrays.copyOfRange(sig, 32, 64)));
      return "0x" + Keys.getAddress(key).toLowerCase(Locale.ROOT);
    } catch (java.security.SignatureException | RuntimeException e) {
      throw new IllegalArgumentException("the consumer token's signature does not recover to a key");
    }
  }
}
