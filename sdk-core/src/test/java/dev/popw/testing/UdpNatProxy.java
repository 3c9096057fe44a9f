package dev.popw.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;

/**
 * A NAT on loopback: the client talks to {@link #port()}, the server sees the proxy's outbound
 * socket. {@link #rebind()} replaces the outbound socket, so the server suddenly sees the client
 * at a new source port, as after a NAT timeout or a cellular handover.
 */
public final class UdpNatProxy implements AutoCloseable {
  private final DatagramSocket front;
  private final InetSocketAddress server;
  private volatile DatagramSocket back;
  private volatile SocketAddress client;
  private volatile boolean running = true;

  public UdpNatProxy(InetSocketAddress server) throws SocketException {
    this.server = server;
    this.front = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.back = newBack();
    Thread up = new Thread(this::upstream, "nat-up");
    up.setDaemon(true);
    up.start();
  }

  public int port() {
    return front.getLocalPort();
  }

  /** The port the server currently sees. */
  public int outboundPort() {
    return back.getLocalPort();
  }

  /** Moves all further client traffic to a new outbound port. */
  public synchronized void rebind() throws SocketException {
    DatagramSocket old = back;
    back = newBack();
    old.close();
  }

  private DatagramSocket newBack() throws SocketException {
    DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    Thread down = new Thread(() -> downstream(s), "nat-down-" + s.getLocalPort());
    down.setDaemon(true);
    down.start();
    return s;
  }

  private void upstream() {
    byte[] buf = new byte[65_535];
    while (running) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        front.receive(p);
        client = p.getSocketAddress();
        back.send(new DatagramPacket(p.getData(), p.getLength(), server));
      } catch (IOException e) {
        if (!running) {
          return;
        }
      }
    }
  }

  private void downstream(DatagramSocket s) {
    byte[] buf = new byte[65_535];
    while (running && !s.isClosed()) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        if (client != null) {
          front.send(new DatagramPacket(p.getData(), p.getLength(), client));
        }
      } catch (IOException e) {
        return; // socket replaced or closed
      }
    }
  }

  @Override
  public void close() {
    running = false;
    front.close();
    back.close();
  }
}
