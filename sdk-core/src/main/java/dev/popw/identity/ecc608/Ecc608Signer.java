package dev.popw.identity.ecc608;

import dev.popw.identity.DeviceId;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.KeyStorage;
import dev.popw.identity.KeyType;
import dev.popw.identity.SignerException;
import dev.popw.internal.crypto.EcdsaScheme;
import dev.popw.internal.crypto.Sha256;
import dev.popw.internal.encoding.Hex;
import java.io.IOException;

/**
 * A P-256 device key in a slot of an ATECC608 secure element. The chip signs SHA-256(message)
 * (computed here, loaded with Nonce) with its own random nonce; the signature is normalized to low S
 * afterwards. Between commands the chip is put to idle; it is woken before each signature.
 *
 * <p>Thread-safe: one command at a time.
 */
public final class Ecc608Signer implements DeviceSigner {
  private final Ecc608 chip;
  private final int slot;
  private final byte[] publicKey;
  private final DeviceId deviceId;
  private final KeyStorage storage;
  private boolean closed;

  private Ecc608Signer(Ecc608 chip, int slot, byte[] xy, byte[] serial) {
    this.chip = chip;
    this.slot = slot;
    this.publicKey = compress(xy, chip);
    this.deviceId = DeviceId.of(KeyType.ECDSA_P256, publicKey);
    this.storage = new KeyStorage(KeyStorage.Kind.ECC608, "serial " + Hex.encode(serial) + ", slot " + slot);
  }

  /** Opens the key in {@code slot}: wakes the chip, reads its serial number and the slot's public key. */
  public static Ecc608Signer open(Ecc608 chip, int slot) {
    return start(chip, slot, false);
  }

  /** Makes a new key in {@code slot} (GenKey): whatever key the slot held is gone. */
  public static Ecc608Signer generate(Ecc608 chip, int slot) {
    return start(chip, slot, true);
  }

  private static Ecc608Signer start(Ecc608 chip, int slot, boolean generate) {
    try {
      chip.wake();
      byte[] serial = chip.serialNumber();
      byte[] xy = generate ? chip.generateKey(slot) : chip.publicKey(slot);
      chip.idle();
      return new Ecc608Signer(chip, slot, xy, serial);
    } catch (IOException e) {
      try {
        chip.sleep();
      } catch (IOException ignored) {
        // reported below
      }
      chip.bus().close();
      throw new SignerException((generate ? "cannot make a key in " : "cannot open the key in ") + "slot " + slot + " of "
          + chip.bus().describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public KeyType keyType() {
    return KeyType.ECDSA_P256;
  }

  @Override
  public byte[] publicKey() {
    return publicKey.clone();
  }

  @Override
  public DeviceId deviceId() {
    return deviceId;
  }

  @Override
  public KeyStorage storage() {
    return storage;
  }

  @Override
  public synchronized byte[] sign(byte[] message) {
    if (closed) {
      throw new SignerException("signer for " + deviceId + " is closed");
    }
    byte[] digest = Sha256.hash(message);
    byte[] rs;
    try {
      chip.wake();
      rs = chip.sign(slot, digest);
      chip.idle();
    } catch (IOException e) {
      try {
        chip.sleep(); // the next signature starts from a clean wake
      } catch (IOException ignored) {
        // reported below
      }
      throw new SignerException("ATECC608 signature failed: " + e.getMessage(), e);
    }
    try {
      return EcdsaScheme.P256.lowS(rs);
    } catch (IllegalArgumentException e) {
      throw new SignerException("ATECC608 returned a " + e.getMessage());
    }
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      try {
        chip.sleep();
      } catch (IOException ignored) {
        // closing anyway
      }
      chip.bus().close();
    }
  }

  private static byte[] compress(byte[] xy, Ecc608 chip) {
    byte[] sec1 = new byte[65];
    sec1[0] = 0x04;
    System.arraycopy(xy, 0, sec1, 1, 64);
    EcdsaScheme.Key k = EcdsaScheme.P256.decodeAnyPublicKey(sec1);
    if (k == null) {
      throw new SignerException(chip.bus().describe() + " returned a public key that is not a P-256 point");
    }
    return k.point().getEncoded(true);
  }

  @Override
  public String toString() {
    return "Ecc608Signer[" + storage + ", " + deviceId + "]";
  }
}
