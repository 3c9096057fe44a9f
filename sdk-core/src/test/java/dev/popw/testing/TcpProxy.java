package dev.popw.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy in front of a real server, whose link a test can make flap: {@link
 * #dropAfterFirstReply} closes the next connections right after the server's first answer has been
 * passed on (for MQTT: the CONNACK arrives, the SUBACK never does); {@link #latency} holds back
 * what the server sends, as a slow cellular link does.
 */
public final class TcpProxy implements AutoCloseable {
  private final int targetPort;
  private final ServerSocket server;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger toDrop = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();
  private volatile long latencyMillis;
  private volatile Runnable onFirstReply = () -> {};

  public TcpProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "tcp-proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  public String tcpUri() {
    return "tcp://127.0.0.1:" + port();
  }

  /** The next {@code connections} connections are closed just after the server's first bytes reach the client. */
  public void dropAfterFirstReply(int connections) {
    toDrop.set(connections);
  }

  /** Delays every chunk the server sends by this much before the client gets it. */
  public void latency(java.time.Duration delay) {
    latencyMillis = delay.toMillis();
  }

  /**
   * Runs {@code hook} on every connection when the server's first bytes reach the proxy, before
   * they are passed on (for MQTT: the broker has sent its CONNACK, the client has not seen it).
   */
  public void onFirstReply(Runnable hook) {
    onFirstReply = hook;
  }

  /** Connections closed by {@link #dropAfterFirstReply} so far. */
  public int dropped() {
    return dropped.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(upstream);
        boolean drop = toDrop.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
        pump(client, upstream, false, false, client, upstream);
        pump(upstream, client, drop, true, client, upstream);
      } catch (IOException e) {
        // closed, or the target refused: the client sees its connection fail
      }
    }
  }

  private void pump(Socket from, Socket to, boolean dropAfterFirst, boolean delayed, Socket a, Socket b) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to.getOutputStream();
        int n;
        boolean first = true;
        while ((n = in.read(buf)) > 0) {
          if (delayed && first) {
            first = false;
            onFirstReply.run();
          }
          if (delayed && latencyMillis > 0) {
            Thread.sleep(latencyMillis);
          }
          out.write(buf, 0, n);
          out.flush();
          if (dropAfterFirst) {
            dropped.incrementAndGet();
            break;
          }
        }
      } catch (IOException e) {
        // one side closed
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        closeQuietly(a);
        closeQuietly(b);
      }
    }, "tcp-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private void closeQuietly(Socket s) {
    sockets.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // gone
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      closeQuietly(s);
    }
  }
}
