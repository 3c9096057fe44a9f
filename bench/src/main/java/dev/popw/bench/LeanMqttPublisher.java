package dev.popw.bench;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.function.IntConsumer;

/**
 * A minimal MQTT 5 publisher for load generation: one TCP connection, QoS 1 PUBLISH frames written
 * straight to the socket, PUBACKs read by one thread. It does what a device does on the wire and
 * nothing else, so that the load generator, which shares the coordinator's two cores in the
 * benchmark, takes as little CPU as possible (Paho's client machinery costs more per message than
 * the coordinator's broker does).
 */
final class LeanMqttPublisher implements AutoCloseable {
  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;
  private final Semaphore window;
  private final int[] indexOfPid = new int[65_536];
  private final IntConsumer onAck;
  private final Thread reader;
  private int nextPid = 1;

  /**
   * @param username and {@code password}: the CONNECT credentials (the coordinator's embedded broker
   *     wants a signed connect token); null for none
   */
  LeanMqttPublisher(String host, int port, String clientId, String username, String password, int inFlight, IntConsumer onAck)
      throws IOException {
    this.socket = new Socket(host, port);
    socket.setTcpNoDelay(true);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    this.in = new DataInputStream(socket.getInputStream());
    this.window = new Semaphore(inFlight);
    this.onAck = onAck;
    byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
    byte flags = (byte) (username == null ? 0x02 : 0xC2); // clean start (+ user name and password)
    byte[] variable = {0, 4, 'M', 'Q', 'T', 'T', 5, flags, 0, 60, 0}; // MQTT 5, keep-alive 60 s, no properties
    if (username == null) {
      frame(0x10, variable, utf8(id), new byte[0]);
    } else {
      frame(0x10, variable, utf8(id), utf8(username.getBytes(StandardCharsets.UTF_8)), utf8(password.getBytes(StandardCharsets.UTF_8)));
    }
    out.flush();
    int type = in.readUnsignedByte();
    byte[] connack = new byte[readLength()];
    in.readFully(connack);
    if (type != 0x20 || connack.length < 2 || connack[1] != 0) {
      throw new IOException("CONNACK refused (reason " + (connack.length > 1 ? connack[1] : -1) + ")");
    }
    this.reader = new Thread(this::readAcks, "lean-mqtt-" + clientId);
    reader.setDaemon(true);
    reader.start();
  }

  /** Publishes at QoS 1; blocks while the in-flight window is full. {@code index} comes back in onAck. */
  void publish(byte[] topic, byte[] payload, int index) throws IOException, InterruptedException {
    window.acquire();
    int pid;
    synchronized (this) {
      pid = nextPid;
      nextPid = nextPid == 65_535 ? 1 : nextPid + 1;
      indexOfPid[pid] = index;
      frame(0x32, new byte[] {(byte) (topic.length >> 8), (byte) topic.length}, topic, new byte[] {(byte) (pid >> 8), (byte) pid, 0}, payload);
      out.flush();
    }
  }

  /** A two-byte length and the bytes. */
  private static byte[] utf8(byte[] b) {
    byte[] out = new byte[b.length + 2];
    out[0] = (byte) (b.length >> 8);
    out[1] = (byte) b.length;
    System.arraycopy(b, 0, out, 2, b.length);
    return out;
  }

  private void frame(int header, byte[]... parts) throws IOException {
    int len = 0;
    for (byte[] p : parts) {
      len += p.length;
    }
    out.write(header);
    do {
      int b = len & 0x7F;
      len >>>= 7;
      out.write(len > 0 ? b | 0x80 : b);
    } while (len > 0);
    for (byte[] p : parts) {
      out.write(p);
    }
  }

  private int readLength() throws IOException {
    int len = 0;
    int shift = 0;
    int b;
    do {
      b = in.readUnsignedByte();
      len |= (b & 0x7F) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    return len;
  }

  private void readAcks() {
    byte[] buf = new byte[256];
    try {
      while (true) {
        int type = in.readUnsignedByte() >> 4;
        int len = readLength();
        byte[] body = len <= buf.length ? buf : new byte[len];
        in.readFully(body, 0, len);
        if (type == 4) { // PUBACK: packet id, then an optional reason code (0 = success)
          int pid = (body[0] & 0xFF) << 8 | (body[1] & 0xFF);
          int index = indexOfPid[pid];
          window.release();
          onAck.accept(len >= 3 && body[2] != 0 ? -1 - index : index);
        }
      }
    } catch (EOFException | java.net.SocketException e) {
      // closed
    } catch (IOException e) {
      System.err.println("lean MQTT reader: " + e);
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (this) {
      out.write(new byte[] {(byte) 0xE0, 0}); // DISCONNECT
      out.flush();
    }
    socket.close();
  }
}
