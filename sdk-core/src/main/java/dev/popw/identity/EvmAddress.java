package dev.popw.identity;

import dev.popw.internal.crypto.EcdsaScheme;
import dev.popw.internal.crypto.Sha256;
import dev.popw.internal.encoding.Hex;
import java.util.Arrays;
import java.util.Locale;

/**
 * A 20-byte EVM account address. {@link #toString()} gives the EIP-55 mixed-case checksum form.
 *
 * <p>Immutable and thread-safe.
 */
public final class EvmAddress {
  private final byte[] bytes;

  private EvmAddress(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * The address of a secp256k1 public key: the last 20 bytes of keccak256 of the uncompressed
   * point without its 0x04 prefix.
   *
   * @param publicKey SEC1-encoded secp256k1 point, compressed or not
   * @throws IllegalArgumentException if it is not a valid secp256k1 point
   */
  public static EvmAddress fromPublicKey(byte[] publicKey) {
    EcdsaScheme.Key key = EcdsaScheme.SECP256K1.decodeAnyPublicKey(publicKey);
    if (key == null) {
      throw new IllegalArgumentException("not a valid secp256k1 public key");
    }
    byte[] uncompressed = key.point().getEncoded(false);
    byte[] hash = Sha256.keccak256(Arrays.copyOfRange(uncompressed, 1, uncompressed.length));
    return new EvmAddress(Arrays.copyOfRange(hash, 12, 32));
  }

  /**
   * Parses {@code 0x} followed by 40 hex digits. A mixed-case address must carry a correct EIP-55
   * checksum; all-lower or all-upper case is accepted as is.
   *
   * @throws IllegalArgumentException with a message fit for the user
   */
  public static EvmAddress parse(String text) {
    String s = text == null ? "" : text.trim();
    if (!s.matches("0[xX][0-9a-fA-F]{40}")) {
      throw new IllegalArgumentException("not an EVM address: expected 0x and 40 hex digits, got '" + s + "'");
    }
    EvmAddress a = new EvmAddress(Hex.decode(s.substring(2)));
    String digits = s.substring(2);
    boolean mixed = !digits.equals(digits.toLowerCase(Locale.ROOT)) && !digits.equals(digits.toUpperCase(Locale.ROOT));
    if (mixed && !a.toString().equals("0x" + digits)) {
      throw new IllegalArgumentException("EVM address '" + s + "' has a wrong EIP-55 checksum (mistyped?)");
    }
    return a;
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  /** The EIP-55 checksummed form, {@code 0x} + 40 hex digits. */
  @Override
  public String toString() {
    String lower = Hex.encode(bytes);
    byte[] hash = Sha256.keccak256(lower.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    StringBuilder sb = new StringBuilder("0x");
    for (int i = 0; i < lower.length(); i++) {
      char c = lower.charAt(i);
      int nibble = (hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xF;
      sb.append(c >= 'a' && nibble >= 8 ? Character.toUpperCase(c) : c);
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EvmAddress && Arrays.equals(bytes, ((EvmAddress) o).bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }
}
