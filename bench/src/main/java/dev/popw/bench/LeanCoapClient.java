package dev.popw.bench;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.concurrent.Semaphore;
import java.util.function.IntConsumer;

/**
 * A minimal CoAP client for load generation: confirmable {@code POST /v1/telemetry} datagrams
 * written straight to a UDP socket, responses matched by token. It acknowledges separate
 * responses, as RFC 7252 requires, and retransmits a request unanswered after 2 s (same message
 * id, so the server deduplicates it). Like {@link LeanMqttPublisher}, it keeps the load
 * generator's share of the two cores small.
 */
final class LeanCoapClient implements AutoCloseable {
  private static final byte[] URI_PATH = {(byte) 0xB2, 'v', '1', 0x09, 't', 'e', 'l', 'e', 'm', 'e', 't', 'r', 'y'};

  private final DatagramSocket socket;
  private final InetSocketAddress server;
  private final Semaphore window;
  private final IntConsumer onResponse;
  private final Thread reader;
  private final java.util.Map<Integer, byte[]> pending = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<Integer, Long> sentAt = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.ScheduledExecutorService retransmit = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
  private int mid;

  LeanCoapClient(InetSocketAddress server, int inFlight, IntConsumer onResponse) throws SocketException {
    this.socket = new DatagramSocket();
    this.socket.setReceiveBufferSize(4 * 1024 * 1024);
    this.server = server;
    this.window = new Semaphore(inFlight);
    this.onResponse = onResponse;
    this.reader = new Thread(this::read, "lean-coap");
    reader.setDaemon(true);
    reader.start();
    retransmit.scheduleWithFixedDelay(() -> {
      long now = System.nanoTime();
      sentAt.forEach((token, t) -> {
        byte[] m = pending.get(token);
        if (m != null && now - t > 2_000_000_000L) {
          sentAt.put(token, now);
          try {
            socket.send(new DatagramPacket(m, m.length, server));
          } catch (IOException e) {
            // closing
          }
        }
      });
    }, 500, 500, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** Sends one CON POST whose 4-byte token is {@code index}; blocks while the window is full. */
  void post(byte[] payload, int index) throws IOException, InterruptedException {
    window.acquire();
    byte[] m = new byte[4 + 4 + URI_PATH.length + 1 + payload.length];
    int id;
    synchronized (this) {
      id = mid = (mid + 1) & 0xFFFF;
    }
    m[0] = 0x44; // version 1, CON, token length 4
    m[1] = 0x02; // POST
    m[2] = (byte) (id >> 8);
    m[3] = (byte) id;
    m[4] = (byte) (index >> 24);
    m[5] = (byte) (index >> 16);
    m[6] = (byte) (index >> 8);
    m[7] = (byte) index;
    System.arraycopy(URI_PATH, 0, m, 8, URI_PATH.length);
    m[8 + URI_PATH.length] = (byte) 0xFF;
    System.arraycopy(payload, 0, m, 9 + URI_PATH.length, payload.length);
    pending.put(index, m);
    sentAt.put(index, System.nanoTime());
    socket.send(new DatagramPacket(m, m.length, server));
  }

  private void read() {
    byte[] buf = new byte[2048];
    DatagramPacket p = new DatagramPacket(buf, buf.length);
    while (!socket.isClosed()) {
      try {
        socket.receive(p);
      } catch (IOException e) {
        return;
      }
      int type = (buf[0] >> 4) & 0x03;
      int tkl = buf[0] & 0x0F;
      int code = buf[1] & 0xFF;
      if (type == 0) { // a separate response (CON): acknowledge it
        byte[] ack = {0x60, 0x00, buf[2], buf[3]};
        try {
          socket.send(new DatagramPacket(ack, ack.length, server));
        } catch (IOException e) {
          return;
        }
      }
      if (code == 0 || tkl != 4) {
        continue; // the empty ACK of a request answered separately
      }
      int index = (buf[4] & 0xFF) << 24 | (buf[5] & 0xFF) << 16 | (buf[6] & 0xFF) << 8 | (buf[7] & 0xFF);
      if (pending.remove(index) == null) {
        continue; // a duplicate answer to a retransmission
      }
      sentAt.remove(index);
      window.release();
      onResponse.accept((code >> 5) == 2 ? index : -1 - index);
    }
  }

  @Override
  public void close() {
    retransmit.shutdownNow();
    socket.close();
  }
}
