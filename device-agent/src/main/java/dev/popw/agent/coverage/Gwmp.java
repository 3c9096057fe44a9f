package dev.popw.agent.coverage;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The Semtech UDP packet-forwarder protocol (GWMP, version 2), as spoken by LoRa concentrators:
 *
 * <pre>
 * PUSH_DATA 0x00  gateway → server  ver | token(2) | 0x00 | EUI(8) | JSON {"rxpk":[...], "stat":{...}}
 * PUSH_ACK  0x01  server → gateway  ver | token(2) | 0x01
 * PULL_DATA 0x02  gateway → server  ver | token(2) | 0x02 | EUI(8)      (keepalive, opens the downlink path)
 * PULL_RESP 0x03  server → gateway  ver | token(2) | 0x03 | JSON {"txpk":{...}}
 * PULL_ACK  0x04  server → gateway  ver | token(2) | 0x04
 * TX_ACK    0x05  gateway → server  ver | token(2) | 0x05 | EUI(8) | JSON {"txpk_ack":{"error":"NONE"}} (optional)
 * </pre>
 */
public final class Gwmp {
  public static final int VERSION = 2;
  public static final int PUSH_DATA = 0x00;
  public static final int PUSH_ACK = 0x01;
  public static final int PULL_DATA = 0x02;
  public static final int PULL_RESP = 0x03;
  public static final int PULL_ACK = 0x04;
  public static final int TX_ACK = 0x05;

  /** A decoded datagram: identifier, token, gateway EUI (when the type carries one) and JSON body. */
  public record Packet(int type, int token, long gatewayEui, String json) {}

  private Gwmp() {}

  /**
   * Decodes a datagram.
   *
   * @throws IllegalArgumentException for a wrong version, an unknown type or a short packet
   */
  public static Packet decode(byte[] d, int len) {
    if (len < 4) {
      throw new IllegalArgumentException("GWMP packet of " + len + " bytes is too short");
    }
    if (d[0] != 1 && d[0] != VERSION) {
      throw new IllegalArgumentException("GWMP version " + d[0] + " is not supported");
    }
    int token = (d[1] & 0xFF) << 8 | (d[2] & 0xFF);
    int type = d[3] & 0xFF;
    switch (type) {
      case PUSH_DATA, PULL_DATA, TX_ACK -> {
        if (len < 12) {
          throw new IllegalArgumentException("GWMP type " + type + " needs a gateway EUI; packet has " + len + " bytes");
        }
        long eui = 0;
        for (int i = 4; i < 12; i++) {
          eui = eui << 8 | (d[i] & 0xFF);
        }
        return new Packet(type, token, eui, new String(d, 12, len - 12, StandardCharsets.UTF_8));
      }
      case PUSH_ACK, PULL_ACK -> {
        return new Packet(type, token, 0, "");
      }
      case PULL_RESP -> {
        return new Packet(type, token, 0, new String(d, 4, len - 4, StandardCharsets.UTF_8));
      }
      default -> throw new IllegalArgumentException("unknown GWMP type 0x" + Integer.toHexString(type));
    }
  }

  /** An acknowledgement (PUSH_ACK or PULL_ACK) echoing the token. */
  public static byte[] ack(int type, int token) {
    return new byte[] {VERSION, (byte) (token >> 8), (byte) token, (byte) type};
  }

  /** A PULL_RESP carrying a txpk JSON object. */
  public static byte[] pullResp(int token, String json) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    byte[] out = Arrays.copyOf(new byte[] {VERSION, (byte) (token >> 8), (byte) token, PULL_RESP}, 4 + body.length);
    System.arraycopy(body, 0, out, 4, body.length);
    return out;
  }

  /** A gateway → server packet with an EUI (PUSH_DATA, PULL_DATA, TX_ACK): what a packet forwarder sends. */
  public static byte[] fromGateway(int type, int token, long eui, String json) {
    byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[12 + body.length];
    out[0] = VERSION;
    out[1] = (byte) (token >> 8);
    out[2] = (byte) token;
    out[3] = (byte) type;
    for (int i = 0; i < 8; i++) {
      out[4 + i] = (byte) (eui >>> (56 - 8 * i));
    }
    System.arraycopy(body, 0, out, 12, body.length);
    return out;
  }
}
