package dev.popw.coordinator.fuzz;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** What the coordinator's network fuzz targets share: loopback sockets, bounded reads, a log watch. */
final class FuzzSupport {
  /** How long a server may take to answer or close before the run counts as a hang. */
  static final int ANSWER_TIMEOUT_MS = 10_000;

  private FuzzSupport() {}

  /**
   * Jazzer's SSRF detector reports every network connection it was not told about; the harness
   * talks to the server under test on loopback, and anything else stays a finding.
   */
  static SilentCloseable allowLoopback(int... ports) {
    return BugDetectors.allowNetworkConnections((host, port) -> {
      if (!host.equals("127.0.0.1") && !host.equals("localhost") && !host.equals("/127.0.0.1")) {
        return false;
      }
      for (int p : ports) {
        if (p == port) {
          return true;
        }
      }
      return false;
    });
  }

  /** A TCP connection to a loopback port that leaves no TIME_WAIT behind when closed (RST). */
  static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSoLinger(true, 0);
    s.setSoTimeout(ANSWER_TIMEOUT_MS);
    s.connect(new InetSocketAddress("127.0.0.1", port), ANSWER_TIMEOUT_MS);
    return s;
  }

  /** How a connection ended after the harness sent its bytes and half-closed. */
  enum Ending {
    /** The server closed it (end of stream). */
    CLOSED,
    /** The server reset it, or refused more bytes while the harness was still writing. */
    RESET
  }

  /**
   * Writes the bytes, half-closes, and reads until the server closes the connection; what it sent
   * goes to {@code received}.
   *
   * @throws AssertionError when the server neither answers nor closes within {@link #ANSWER_TIMEOUT_MS}
   */
  static Ending sendAndDrain(Socket s, byte[] bytes, ByteArrayOutputStream received, String what) {
    try {
      OutputStream out = s.getOutputStream();
      out.write(bytes);
      out.flush();
      s.shutdownOutput();
    } catch (SocketTimeoutException e) {
      throw new AssertionError(what + " stopped reading for " + ANSWER_TIMEOUT_MS + " ms", e);
    } catch (IOException e) {
      drainQuietly(s, received);
      return Ending.RESET;
    }
    long deadline = System.nanoTime() + ANSWER_TIMEOUT_MS * 1_000_000L;
    byte[] buf = new byte[8192];
    try {
      InputStream in = s.getInputStream();
      while (true) {
        int n = in.read(buf);
        if (n < 0) {
          return Ending.CLOSED;
        }
        received.write(buf, 0, n);
        if (System.nanoTime() > deadline) {
          throw new AssertionError(what + " kept the connection open (and sending) for " + ANSWER_TIMEOUT_MS + " ms after the request");
        }
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(what + " neither answered nor closed the connection within " + ANSWER_TIMEOUT_MS
          + " ms after the client had sent everything and half-closed", e);
    } catch (IOException e) {
      return Ending.RESET;
    }
  }

  private static void drainQuietly(Socket s, ByteArrayOutputStream received) {
    try {
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) > 0; ) {
        received.write(buf, 0, n);
      }
    } catch (IOException ignored) {
      // reset
    }
  }

  /** Reads exactly n bytes or fails. */
  static byte[] readFully(InputStream in, int n, String what) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new AssertionError(what + ": connection closed after " + b.length + " of " + n + " bytes");
    }
    return b;
  }

  /**
   * Watches System.err (where slf4j-simple logs) for lines that signal a bug even though the
   * server survived them, e.g. a handler that threw and was caught by a generic "failed" log line.
   * Everything is still written through.
   */
  static final class LogWatch implements AutoCloseable {
    private final PrintStream original = System.err;
    private final List<String> hits = new CopyOnWriteArrayList<>();

    LogWatch(Predicate<String> suspicious) {
      System.setErr(new PrintStream(new OutputStream() {
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
          original.write(b);
          if (b == '\n') {
            String l = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (suspicious.test(l)) {
              hits.add(l);
            }
          } else if (line.size() < 16_384) {
            line.write(b);
          }
        }

        @Override
        public void flush() {
          original.flush();
        }
      }, true, StandardCharsets.UTF_8));
    }

    /** The suspicious lines logged since the last call, cleared. */
    List<String> take() {
      if (hits.isEmpty()) {
        return List.of();
      }
      List<String> l = List.copyOf(hits);
      hits.clear();
      return l;
    }

    @Override
    public void close() {
      System.setErr(original);
    }
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      o.writeBytes(p);
    }
    return o.toByteArray();
  }

  static String printable(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      int c = x & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        s.append((char) c);
      } else {
        s.append(String.format("\\x%02x", c));
      }
    }
    return s.toString();
  }
}
