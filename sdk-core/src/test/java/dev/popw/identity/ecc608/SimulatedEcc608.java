package dev.popw.identity.ecc608;

import java.io.IOException;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A simulated ATECC608 behind {@link Ecc608Bus}: the datasheet's I²C behaviour for the command
 * subset the signer uses, with real P-256 keys (the JDK's SunEC) behind GenKey and Sign. It checks
 * the count and CRC of what it receives (answering 0xFF), NACKs while asleep and while a command
 * executes, answers parse errors (0x03) for unknown opcodes and modes, execution errors (0x0F) for a
 * Sign without a loaded digest or in an empty slot, and its answers carry the datasheet CRC.
 */
final class SimulatedEcc608 implements Ecc608Bus {
  /** Slots configured for P-256 private keys (slot 0 to 7; the others are data slots). */
  static final int KEY_SLOTS = 8;
  static final byte[] SERIAL = {0x01, 0x23, (byte) 0x9a, 0x4b, (byte) 0xc6, 0x11, 0x52, 0x7f, (byte) 0xee};

  private enum State { SLEEP, IDLE, AWAKE }

  private State state = State.SLEEP;
  private final KeyPair[] slots = new KeyPair[16];
  private byte[] tempKey;
  private byte[] output = new byte[0];
  private int readPos;
  private int busyReads;
  /** NACKs before each answer is ready: the polling in {@link Ecc608} must wait for it. */
  int executionReads = 2;
  /** The next 64-byte answer (a key or a signature) gets a flipped bit (bus noise on the way back). */
  boolean corruptNextAnswer;
  /** The next command arrives with a flipped bit (bus noise on the way in). */
  boolean corruptNextCommand;
  /** The chip never answers (stuck, or another device at the address). */
  boolean mute;
  final List<byte[]> written = new ArrayList<>();
  int highSSignatures;

  @Override
  public void wake() {
    if (state != State.AWAKE) {
      state = State.AWAKE;
      answer(new byte[] {Ecc608.STATUS_AFTER_WAKE}, 0);
    }
  }

  @Override
  public void write(byte[] bytes) throws IOException {
    if (state != State.AWAKE) {
      throw new IOException("NACK (asleep)");
    }
    written.add(bytes.clone());
    byte[] b = bytes.clone();
    if (corruptNextCommand && b.length > 3) {
      corruptNextCommand = false;
      b[2] ^= 0x10;
    }
    switch (b[0]) {
      case Ecc608.WORD_RESET:
        readPos = 0;
        return;
      case Ecc608.WORD_SLEEP:
        state = State.SLEEP;
        tempKey = null;
        return;
      case Ecc608.WORD_IDLE:
        state = State.IDLE;
        return;
      case Ecc608.WORD_COMMAND:
        execute(b);
        return;
      default:
        throw new IOException("NACK (word address " + b[0] + ")");
    }
  }

  private void execute(byte[] b) {
    int count = b.length > 1 ? b[1] & 0xFF : 0;
    if (count < 7 || count != b.length - 1) {
      status(Ecc608.STATUS_CRC_ERROR);
      return;
    }
    int crc = Ecc608.crc16(b, 1, count - 2);
    if ((b[count - 1] & 0xFF) != (crc & 0xFF) || (b[count] & 0xFF) != crc >> 8) {
      status(Ecc608.STATUS_CRC_ERROR);
      return;
    }
    int op = b[2] & 0xFF;
    int p1 = b[3] & 0xFF;
    int p2 = (b[4] & 0xFF) | (b[5] & 0xFF) << 8;
    byte[] data = Arrays.copyOfRange(b, 6, count - 1);
    try {
      switch (op) {
        case Ecc608.OP_INFO:
          answer(p1 == 0 ? new byte[] {0x00, 0x00, 0x60, 0x02} : null, executionReads);
          break;
        case Ecc608.OP_READ:
          if (p1 != Ecc608.READ_CONFIG_32 || p2 != 0) {
            status(Ecc608.STATUS_PARSE_ERROR);
            break;
          }
          byte[] config = new byte[32];
          System.arraycopy(SERIAL, 0, config, 0, 4);
          config[4] = 0x00;
          config[5] = 0x00;
          config[6] = 0x60;
          config[7] = 0x02;
          System.arraycopy(SERIAL, 4, config, 8, 5);
          answer(config, executionReads);
          break;
        case Ecc608.OP_GENKEY:
          genKey(p1, p2);
          break;
        case Ecc608.OP_NONCE:
          if (p1 != Ecc608.NONCE_PASSTHROUGH || data.length != 32) {
            status(Ecc608.STATUS_PARSE_ERROR);
            break;
          }
          tempKey = data;
          status(Ecc608.STATUS_SUCCESS);
          break;
        case Ecc608.OP_SIGN:
          sign(p1, p2);
          break;
        default:
          status(Ecc608.STATUS_PARSE_ERROR);
      }
    } catch (Exception e) {
      status(Ecc608.STATUS_EXECUTION_ERROR);
    }
  }

  private void genKey(int mode, int slot) throws Exception {
    if (slot >= 16 || (mode != Ecc608.GENKEY_PRIVATE && mode != Ecc608.GENKEY_PUBLIC)) {
      status(Ecc608.STATUS_PARSE_ERROR);
      return;
    }
    if (slot >= KEY_SLOTS) {
      status(Ecc608.STATUS_EXECUTION_ERROR);
      return;
    }
    if (mode == Ecc608.GENKEY_PRIVATE) {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      slots[slot] = g.generateKeyPair();
    } else if (slots[slot] == null) {
      status(Ecc608.STATUS_EXECUTION_ERROR);
      return;
    }
    ECPublicKey pub = (ECPublicKey) slots[slot].getPublic();
    byte[] xy = new byte[64];
    fixed(pub.getW().getAffineX(), xy, 0);
    fixed(pub.getW().getAffineY(), xy, 32);
    answer(xy, executionReads + 3);
  }

  private void sign(int mode, int slot) throws Exception {
    if (mode != Ecc608.SIGN_EXTERNAL || slot >= 16) {
      status(Ecc608.STATUS_PARSE_ERROR);
      return;
    }
    if (tempKey == null || slot >= KEY_SLOTS || slots[slot] == null) {
      status(Ecc608.STATUS_EXECUTION_ERROR);
      return;
    }
    Signature s = Signature.getInstance("NONEwithECDSAinP1363Format");
    s.initSign(slots[slot].getPrivate());
    s.update(tempKey);
    byte[] rs = s.sign();
    tempKey = null; // the datasheet: TempKey is invalid after Sign
    BigInteger sv = new BigInteger(1, Arrays.copyOfRange(rs, 32, 64));
    if (sv.compareTo(dev.popw.internal.crypto.EcdsaScheme.P256.domain().getN().shiftRight(1)) > 0) {
      highSSignatures++;
    }
    answer(rs, executionReads + 2);
  }

  private void status(int st) {
    answer(new byte[] {(byte) st}, executionReads);
  }

  private void answer(byte[] data, int busy) {
    if (data == null) {
      status(Ecc608.STATUS_PARSE_ERROR);
      return;
    }
    byte[] out = new byte[data.length + 3];
    out[0] = (byte) out.length;
    System.arraycopy(data, 0, out, 1, data.length);
    int crc = Ecc608.crc16(out, 0, out.length - 2);
    out[out.length - 2] = (byte) crc;
    out[out.length - 1] = (byte) (crc >> 8);
    if (corruptNextAnswer && data.length == 64) {
      corruptNextAnswer = false;
      out[1] ^= 0x01;
    }
    output = out;
    readPos = 0;
    busyReads = busy;
  }

  @Override
  public void read(byte[] buffer) throws IOException {
    if (state != State.AWAKE || mute) {
      throw new IOException("NACK (asleep)");
    }
    if (busyReads > 0) {
      busyReads--;
      throw new IOException("NACK (executing)");
    }
    for (int i = 0; i < buffer.length; i++) {
      buffer[i] = readPos < output.length ? output[readPos++] : (byte) 0xFF;
    }
  }

  ECPublicKey publicKey(int slot) {
    return (ECPublicKey) slots[slot].getPublic();
  }

  @Override
  public String describe() {
    return "simulated ATECC608 at 0x60";
  }

  private static void fixed(BigInteger v, byte[] out, int off) {
    byte[] b = v.toByteArray();
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, off + 32 - len, len);
  }
}
