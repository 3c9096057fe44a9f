package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.popw.coordinator.testing.ChildCoordinator;
import dev.popw.coordinator.testing.TestCoordinatorKey;
import dev.popw.testing.Mosquitto;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two API limits that are the JDK server's own, set from the settings as system properties in
 * the coordinator's process (they are read once per JVM, so this runs its own): connections over
 * api.max_connections are closed at once, and connections that stay silent are closed after
 * api.idle_timeout_seconds (plus the JDK's 10 s check interval).
 */
class ApiConnectionLimitsIT {
  @TempDir Path tmp;

  @Test
  void connections_over_the_limit_and_silent_ones_are_closed() throws Exception {
    int apiPort = Mosquitto.freePort();
    Path config = tmp.resolve("coordinator.toml");
    Files.writeString(config, String.join("\n", "network_id = \"popw-test\"",
        "coordinator_key_file = \"" + TestCoordinatorKey.write(tmp.resolve("coordinator.key")) + "\"", "data_dir = \"" + tmp.resolve("data") + "\"",
        "[mqtt]", "port = -1", "[coap]", "port = -1", "[api]", "port = " + apiPort, "idle_timeout_seconds = 2", "max_connections = 3", ""));
    Process p = ChildCoordinator.start(config, apiPort, Map.of(), List.of(), tmp.resolve("coordinator.log"));
    List<Socket> silent = new ArrayList<>();
    try {
      // ChildCoordinator's probe connection is closed by now or soon; wait until /health answers on a fresh one.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!health(apiPort).startsWith("HTTP/1.1 200 ")) {
        if (System.nanoTime() > until) {
          fail("the coordinator does not answer /health");
        }
        Thread.sleep(200);
      }
      for (int i = 0; i < 3; i++) {
        Socket s = new Socket("127.0.0.1", apiPort);
        s.setSoTimeout(60_000);
        silent.add(s);
      }
      assertEquals("", health(apiPort), "a fourth connection is closed without an answer");
      for (Socket s : silent) {
        try {
          assertEquals(-1, s.getInputStream().read(), "a silent connection is closed, not answered");
        } catch (SocketTimeoutException e) {
          fail("a silent connection is still open after 60 s");
        } catch (IOException reset) {
          // closed
        }
      }
      assertTrue(health(apiPort).startsWith("HTTP/1.1 200 "), "with the silent ones gone, there is room again");
    } finally {
      for (Socket s : silent) {
        s.close();
      }
      p.destroy();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    }
  }

  /** The response to GET /health on a new connection, "" when the connection is closed without one. */
  private static String health(int port) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      try {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException reset) {
        return "";
      }
    } catch (IOException refused) {
      return "";
    }
  }
}
