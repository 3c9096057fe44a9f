package dev.popw.coordinator.testing;

import java.net.Socket;
import java.nio.file.Path;

/** A coordinator in its own JVM (the CLI's main class on the test classpath), to be killed for real. */
public final class ChildCoordinator {
  private ChildCoordinator() {}

  /** Starts {@code popw-coordinator run --config FILE} and waits until its API port answers. */
  public static Process start(Path config, int apiPort) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.popw.coordinator.cli.CoordinatorCli",
        "run", "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(config.resolveSibling("coordinator-" + System.nanoTime() + ".log").toFile()).start();
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      try (Socket s = new Socket("127.0.0.1", apiPort)) {
        return p;
      } catch (java.io.IOException e) {
        Thread.sleep(100);
      }
      if (!p.isAlive()) {
        break;
      }
    }
    throw new AssertionError("coordinator did not start; see the logs in " + config.getParent());
  }

  public static int freeUdpPort() throws Exception {
    try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
