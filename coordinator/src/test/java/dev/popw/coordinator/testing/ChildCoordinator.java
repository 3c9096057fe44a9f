package dev.popw.coordinator.testing;

import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A coordinator in its own JVM (the CLI's main class on the test classpath), to be killed for real. */
public final class ChildCoordinator {
  private ChildCoordinator() {}

  /** Starts {@code popw-coordinator run --config FILE} and waits until its API port answers. */
  public static Process start(Path config, int apiPort) throws Exception {
    return start(config, apiPort, Map.of(), List.of(), config.resolveSibling("coordinator-" + System.nanoTime() + ".log"));
  }

  /** As {@link #start(Path, int)}, with more environment variables and JVM options, its output in {@code log}. */
  public static Process start(Path config, int apiPort, Map<String, String> env, List<String> jvmOptions, Path log)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.popw.coordinator.cli.CoordinatorCli",
        "run", "--config", config.toString()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
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
