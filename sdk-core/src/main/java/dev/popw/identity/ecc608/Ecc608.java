package dev.popw.identity.ecc608;

import java.io.IOException;
import java.util.Arrays;

/**
 * The ATECC608's I²C command protocol, as Microchip's datasheet (DS40001977) describes it and
 * CryptoAuthLib implements it, for the subset a device key needs: wake, idle, sleep, Info, Read (of
 * the configuration zone, for the serial number), GenKey, Nonce (pass-through, to load the message
 * digest) and Sign (external message).
 *
 * <p>Framing: a command is written as the word address 0x03, then a packet of count (itself
 * included), opcode, param1, param2 (2 bytes, little-endian), data, and a CRC-16 over count to data;
 * the answer is count, data, CRC-16. A 4-byte answer holds one status byte: 0x00 success, 0x11 just
 * woken, or an error. The CRC is polynomial 0x8005, initial 0, each byte fed least significant bit
 * first, sent little-endian.
 *
 * <p>Not thread-safe: one command at a time ({@link Ecc608Signer} serializes).
 */
public final class Ecc608 {
  static final int WORD_RESET = 0x00;
  static final int WORD_SLEEP = 0x01;
  static final int WORD_IDLE = 0x02;
  static final int WORD_COMMAND = 0x03;

  static final int OP_READ = 0x02;
  static final int OP_NONCE = 0x16;
  static final int OP_INFO = 0x30;
  static final int OP_GENKEY = 0x40;
  static final int OP_SIGN = 0x41;

  /** GenKey mode: make a new private key in the slot and return its public key. */
  static final int GENKEY_PRIVATE = 0x04;
  /** GenKey mode: return the public key of the slot's private key. */
  static final int GENKEY_PUBLIC = 0x00;
  /** Nonce mode: pass-through, 32 bytes loaded into TempKey as they are (no random number). */
  static final int NONCE_PASSTHROUGH = 0x03;
  /** Sign mode: external message, the digest in TempKey. */
  static final int SIGN_EXTERNAL = 0x80;
  /** Read param1: configuration zone, 32 bytes. */
  static final int READ_CONFIG_32 = 0x80;

  static final int STATUS_SUCCESS = 0x00;
  static final int STATUS_MISCOMPARE = 0x01;
  static final int STATUS_PARSE_ERROR = 0x03;
  static final int STATUS_ECC_FAULT = 0x05;
  static final int STATUS_SELFTEST_ERROR = 0x07;
  static final int STATUS_HEALTH_TEST_ERROR = 0x08;
  static final int STATUS_EXECUTION_ERROR = 0x0F;
  static final int STATUS_AFTER_WAKE = 0x11;
  static final int STATUS_WATCHDOG = 0xEE;
  static final int STATUS_CRC_ERROR = 0xFF;

  /**
   * Longest execution times, ms (CryptoAuthLib's ATECC608 table at the default clock divider):
   * the answer is polled for until then.
   */
  static final int EXEC_GENKEY_MS = 215;
  static final int EXEC_SIGN_MS = 115;
  static final int EXEC_NONCE_MS = 20;
  static final int EXEC_READ_MS = 5;
  static final int EXEC_INFO_MS = 5;
  /** t_WHI: after the wake pulse, before the chip answers. */
  static final int WAKE_DELAY_MICROS = 1500;

  private final Ecc608Bus bus;
  private final Sleeper sleeper;

  /** Waits between polls; tests pass one that does not sleep. */
  public interface Sleeper {
    void sleepMillis(int ms) throws InterruptedException;
  }

  public Ecc608(Ecc608Bus bus) {
    this(bus, Thread::sleep);
  }

  public Ecc608(Ecc608Bus bus, Sleeper sleeper) {
    this.bus = bus;
    this.sleeper = sleeper;
  }

  public Ecc608Bus bus() {
    return bus;
  }

  /** CRC-16 of the datasheet (polynomial 0x8005, initial 0, LSB of each byte first). */
  public static int crc16(byte[] data, int off, int len) {
    int crc = 0;
    for (int i = off; i < off + len; i++) {
      for (int bit = 0x01; bit <= 0x80; bit <<= 1) {
        int dataBit = (data[i] & bit) != 0 ? 1 : 0;
        int crcBit = (crc >> 15) & 1;
        crc = (crc << 1) & 0xFFFF;
        if (dataBit != crcBit) {
          crc ^= 0x8005;
        }
      }
    }
    return crc;
  }

  /** The bytes written for a command: word address 0x03, count, opcode, param1, param2 (LE), data, CRC (LE). */
  public static byte[] commandPacket(int opcode, int param1, int param2, byte[] data) {
    int count = 7 + data.length;
    byte[] p = new byte[1 + count];
    p[0] = WORD_COMMAND;
    p[1] = (byte) count;
    p[2] = (byte) opcode;
    p[3] = (byte) param1;
    p[4] = (byte) param2;
    p[5] = (byte) (param2 >> 8);
    System.arraycopy(data, 0, p, 6, data.length);
    int crc = crc16(p, 1, count - 2);
    p[count - 1] = (byte) crc;
    p[count] = (byte) (crc >> 8);
    return p;
  }

  /** Wakes the chip and checks its wake answer (04 11 33 43). */
  public void wake() throws IOException {
    byte[] r = wakeAnswer();
    if (r[0] != 4 || r[1] != STATUS_AFTER_WAKE) {
      // Left awake (a command that failed, another process): sleep resets it, then wake again.
      try {
        sleep();
      } catch (IOException ignored) {
        // it may be asleep already
      }
      r = wakeAnswer();
    }
    checkFrame(r);
    if (r[1] != STATUS_AFTER_WAKE) {
      throw new Ecc608Exception(r[1] & 0xFF, bus.describe() + " did not wake: status " + hex(r[1] & 0xFF));
    }
  }

  private byte[] wakeAnswer() throws IOException {
    bus.wake();
    sleepMicros(WAKE_DELAY_MICROS);
    byte[] r = new byte[4];
    try {
      bus.read(r);
    } catch (Ecc608Exception e) {
      throw e;
    } catch (IOException e) {
      throw new IOException(bus.describe() + " does not answer the wake-up (" + e.getMessage()
          + "): is an ATECC608 at this address (i2cdetect -y BUS), and is I2C enabled?", e);
    }
    return r;
  }

  /** Idle: the chip keeps TempKey and stops its watchdog. */
  public void idle() throws IOException {
    bus.write(new byte[] {WORD_IDLE});
  }

  /** Sleep: the chip drops TempKey and draws least power. */
  public void sleep() throws IOException {
    bus.write(new byte[] {WORD_SLEEP});
  }

  /** Info (mode 0, revision): 4 bytes, 00 00 60 0x for an ATECC608. */
  public byte[] revision() throws IOException {
    return command(OP_INFO, 0, 0, new byte[0], EXEC_INFO_MS, 4);
  }

  /** The 9-byte serial number: bytes 0-3 and 8-12 of the configuration zone. */
  public byte[] serialNumber() throws IOException {
    byte[] config = command(OP_READ, READ_CONFIG_32, 0, new byte[0], EXEC_READ_MS, 32);
    byte[] sn = new byte[9];
    System.arraycopy(config, 0, sn, 0, 4);
    System.arraycopy(config, 8, sn, 4, 5);
    return sn;
  }

  /** GenKey: a new P-256 private key in {@code slot}; returns its public key X||Y (64 bytes). */
  public byte[] generateKey(int slot) throws IOException {
    return command(OP_GENKEY, GENKEY_PRIVATE, slot, new byte[0], EXEC_GENKEY_MS, 64);
  }

  /** GenKey (public): the public key X||Y of the private key in {@code slot}. */
  public byte[] publicKey(int slot) throws IOException {
    return command(OP_GENKEY, GENKEY_PUBLIC, slot, new byte[0], EXEC_GENKEY_MS, 64);
  }

  /**
   * Signs a 32-byte digest with the key in {@code slot}: Nonce pass-through loads it into TempKey,
   * then Sign (external message). Returns R||S (64 bytes), as the chip computes it (not normalized).
   */
  public byte[] sign(int slot, byte[] digest) throws IOException {
    if (digest.length != 32) {
      throw new IllegalArgumentException("the ATECC608 signs 32-byte digests, got " + digest.length);
    }
    command(OP_NONCE, NONCE_PASSTHROUGH, 0, digest, EXEC_NONCE_MS, 1);
    return command(OP_SIGN, SIGN_EXTERNAL, slot, new byte[0], EXEC_SIGN_MS, 64);
  }

  /**
   * Sends one command and reads its answer of {@code expected} data bytes, polling (the chip does
   * not acknowledge while it executes) until {@code maxExecMs} has passed. One retry when the chip
   * reports a CRC error in what it received (a glitch on the bus).
   */
  byte[] command(int opcode, int param1, int param2, byte[] data, int maxExecMs, int expected) throws IOException {
    byte[] packet = commandPacket(opcode, param1, param2, data);
    for (int attempt = 0; ; attempt++) {
      bus.write(packet);
      byte[] answer = readAnswer(maxExecMs, expected);
      if (answer.length == 1) {
        int st = answer[0] & 0xFF;
        if (st == STATUS_SUCCESS && expected == 1) {
          return answer;
        }
        if (st == STATUS_CRC_ERROR && attempt == 0) {
          continue;
        }
        throw new Ecc608Exception(st, bus.describe() + ": " + opName(opcode) + " failed: " + statusText(st));
      }
      return answer;
    }
  }

  private byte[] readAnswer(int maxExecMs, int expected) throws IOException {
    int n = expected == 1 ? 4 : 3 + expected;
    int waited = 0;
    IOException last = null;
    while (true) {
      // A short answer (status) comes back in 4 bytes; read the count first, then the rest.
      byte[] head = new byte[1];
      try {
        bus.read(head);
        int count = head[0] & 0xFF;
        if (count != 4 && count != n) {
          throw new Ecc608Exception(-1, bus.describe() + " answered with count " + count + ", expected 4 or " + n);
        }
        byte[] r = new byte[count];
        r[0] = head[0];
        byte[] rest = new byte[count - 1];
        bus.read(rest);
        System.arraycopy(rest, 0, r, 1, rest.length);
        checkFrame(r);
        return Arrays.copyOfRange(r, 1, count - 2);
      } catch (Ecc608Exception e) {
        throw e;
      } catch (IOException e) {
        last = e; // not acknowledged: still executing
      }
      if (waited >= maxExecMs) {
        throw new IOException(bus.describe() + " gave no answer within " + maxExecMs + " ms"
            + (last.getMessage() == null ? "" : " (" + last.getMessage() + ")"), last);
      }
      // Polled every millisecond, as CryptoAuthLib does, up to the longest execution time.
      try {
        sleeper.sleepMillis(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + bus.describe(), e);
      }
      waited++;
    }
  }

  private void checkFrame(byte[] r) throws Ecc608Exception {
    int count = r[0] & 0xFF;
    if (count < 4 || count != r.length) {
      throw new Ecc608Exception(-1, bus.describe() + " answered with a bad count " + count);
    }
    int crc = crc16(r, 0, count - 2);
    if ((r[count - 2] & 0xFF) != (crc & 0xFF) || (r[count - 1] & 0xFF) != (crc >> 8)) {
      throw new Ecc608Exception(-1, bus.describe() + " answered with a bad CRC: bus noise, or not an ATECC608 at that address");
    }
  }

  private void sleepMicros(int micros) throws IOException {
    try {
      sleeper.sleepMillis((micros + 999) / 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waking " + bus.describe(), e);
    }
  }

  static String opName(int op) {
    switch (op) {
      case OP_READ:
        return "Read";
      case OP_NONCE:
        return "Nonce";
      case OP_INFO:
        return "Info";
      case OP_GENKEY:
        return "GenKey";
      case OP_SIGN:
        return "Sign";
      default:
        return "command " + hex(op);
    }
  }

  /** The datasheet's meaning of a status byte. */
  public static String statusText(int st) {
    switch (st) {
      case STATUS_SUCCESS:
        return "success";
      case STATUS_MISCOMPARE:
        return "status 0x01, miscompare";
      case STATUS_PARSE_ERROR:
        return "status 0x03, parse error (a bad opcode or parameter, or the slot is not configured for this)";
      case STATUS_ECC_FAULT:
        return "status 0x05, ECC fault (retry)";
      case STATUS_SELFTEST_ERROR:
        return "status 0x07, self-test error";
      case STATUS_HEALTH_TEST_ERROR:
        return "status 0x08, random number health test error";
      case STATUS_EXECUTION_ERROR:
        return "status 0x0F, execution error (the slot holds no usable key, or the zones are not locked)";
      case STATUS_AFTER_WAKE:
        return "status 0x11, just woken";
      case STATUS_WATCHDOG:
        return "status 0xEE, watchdog about to expire";
      case STATUS_CRC_ERROR:
        return "status 0xFF, the chip received a bad CRC";
      default:
        return "status " + hex(st);
    }
  }

  static String hex(int v) {
    return String.format("0x%02x", v);
  }
}
