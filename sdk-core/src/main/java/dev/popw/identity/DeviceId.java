package dev.popw.identity;

import dev.popw.internal.encoding.Base58;
import java.util.Arrays;
import java.util.Optional;

/**
 * A device's identity: its key type and public key.
 *
 * <p>Binary form (the {@code device_id} field of the telemetry): the unsigned-varint multicodec code
 * of the key type followed by the canonical public key. Printable form: a
 * <a href="https://w3c-ccg.github.io/did-method-key/">{@code did:key}</a>, that is
 * {@code "did:key:z" + base58btc(binary form)}, for example
 * {@code did:key:z6Mk...} for Ed25519, {@code did:key:zDn...} for P-256 and {@code did:key:zQ3s...}
 * for secp256k1. See docs/wire-format.md.
 *
 * <p>Immutable and thread-safe.
 */
public final class DeviceId {
  private static final String PREFIX = "did:key:z";
  /**
   * The longest printable form: the prefix and the base58 digits of the longest binary form
   * (base58 takes at most log(256)/log(58) digits per byte).
   */
  private static final int MAX_TEXT_LENGTH;

  static {
    int longest = 0;
    for (KeyType t : KeyType.values()) {
      longest = Math.max(longest, varint(t.multicodec()).length + t.publicKeyLength());
    }
    MAX_TEXT_LENGTH = PREFIX.length() + (int) Math.ceil(longest * Math.log(256) / Math.log(58));
  }

  private final KeyType keyType;
  private final byte[] publicKey;
  private final byte[] bytes;
  private volatile String printable;

  private DeviceId(KeyType keyType, byte[] publicKey, byte[] bytes) {
    this.keyType = keyType;
    this.publicKey = publicKey;
    this.bytes = bytes;
  }

  /**
   * The id of a public key. Checks the length of the key, not that it is a valid curve point.
   *
   * @throws IllegalArgumentException if the key has the wrong length for its type
   */
  public static DeviceId of(KeyType keyType, byte[] publicKey) {
    if (publicKey.length != keyType.publicKeyLength()) {
      throw new IllegalArgumentException(
          keyType + " public key must be " + keyType.publicKeyLength() + " bytes, got " + publicKey.length);
    }
    byte[] codec = varint(keyType.multicodec());
    byte[] bytes = Arrays.copyOf(codec, codec.length + publicKey.length);
    System.arraycopy(publicKey, 0, bytes, codec.length, publicKey.length);
    return new DeviceId(keyType, publicKey.clone(), bytes);
  }

  /**
   * Parses the binary form.
   *
   * @throws IllegalArgumentException if the bytes are not a known key type and key length
   */
  public static DeviceId fromBytes(byte[] bytes) {
    for (KeyType t : KeyType.values()) {
      byte[] codec = varint(t.multicodec());
      if (bytes.length == codec.length + t.publicKeyLength()
          && Arrays.equals(bytes, 0, codec.length, codec, 0, codec.length)) {
        return of(t, Arrays.copyOfRange(bytes, codec.length, bytes.length));
      }
    }
    throw new IllegalArgumentException("not a device id: unknown key codec or length");
  }

  /**
   * Parses the printable form ({@code did:key:z...}).
   *
   * @throws IllegalArgumentException with a message fit for the user
   */
  public static DeviceId parse(String text) {
    String s = text == null ? "" : text.trim();
    if (s.length() > MAX_TEXT_LENGTH) {
      // Refused before decoding: base58 decoding takes time quadratic in the length (a 32 KiB MQTT
      // user name took seconds), and the message does not quote what can be that long.
      throw new IllegalArgumentException("not a device id: " + s.length() + " characters, a did:key device id has at most "
          + MAX_TEXT_LENGTH);
    }
    if (!s.startsWith(PREFIX)) {
      throw new IllegalArgumentException("not a device id: expected 'did:key:z...', got '" + s + "'");
    }
    try {
      return fromBytes(Base58.decode(s.substring(PREFIX.length())));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a device id '" + s + "': " + e.getMessage(), e);
    }
  }

  public KeyType keyType() {
    return keyType;
  }

  /** The canonical public key encoding (a copy). */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The binary form (a copy). */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** True if {@code other} is this id's binary form. Does not allocate. */
  public boolean matches(byte[] other) {
    return Arrays.equals(bytes, other);
  }

  /** The device's EVM address, for secp256k1 keys only. */
  public Optional<EvmAddress> evmAddress() {
    return keyType == KeyType.ECDSA_SECP256K1
        ? Optional.of(EvmAddress.fromPublicKey(publicKey))
        : Optional.empty();
  }

  /** The printable form, {@code did:key:z...}. */
  @Override
  public String toString() {
    String p = printable;
    if (p == null) {
      p = PREFIX + Base58.encode(bytes);
      printable = p;
    }
    return p;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeviceId && Arrays.equals(bytes, ((DeviceId) o).bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  static byte[] varint(int value) {
    byte[] buf = new byte[5];
    int i = 0;
    int v = value;
    while ((v & ~0x7F) != 0) {
      buf[i++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[i++] = (byte) v;
    return Arrays.copyOf(buf, i);
  }
}
