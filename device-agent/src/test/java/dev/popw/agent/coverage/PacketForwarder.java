package dev.popw.agent.coverage;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;

/** A simulated Semtech packet forwarder on loopback: sends what a concentrator sends, receives the agent's answers. */
final class PacketForwarder implements AutoCloseable {
  static final long EUI = 0xAA555A0000000101L;
  private final DatagramSocket socket;
  private final InetSocketAddress server;
  private int token;

  PacketForwarder(InetSocketAddress server) throws IOException {
    this.socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    this.socket.setSoTimeout(3000);
    this.server = server;
  }

  int send(int type, String json) throws IOException {
    int t = ++token & 0xFFFF;
    sendRaw(Gwmp.fromGateway(type, t, EUI, json));
    return t;
  }

  void sendRaw(byte[] b) throws IOException {
    socket.send(new DatagramPacket(b, b.length, server));
  }

  Gwmp.Packet receive() throws IOException {
    byte[] buf = new byte[65_535];
    DatagramPacket p = new DatagramPacket(buf, buf.length);
    socket.receive(p);
    return Gwmp.decode(p.getData(), p.getLength());
  }

  /** Nothing arrives within the timeout. */
  boolean silent(int ms) throws IOException {
    socket.setSoTimeout(ms);
    try {
      receive();
      return false;
    } catch (SocketTimeoutException e) {
      return true;
    } finally {
      socket.setSoTimeout(3000);
    }
  }

  @Override
  public void close() {
    socket.close();
  }
}
