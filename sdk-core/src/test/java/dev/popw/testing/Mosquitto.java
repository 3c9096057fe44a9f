package dev.popw.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Mosquitto broker that a test starts, stops and restarts on a port of its own. If the
 * {@code mosquitto} binary is missing and this runs as root with apt-get, it installs the Debian
 * package first; otherwise the test fails with instructions.
 */
public final class Mosquitto implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final Path config;
  private Process process;

  private Mosquitto(Path dir, int port, Path config) {
    this.dir = dir;
    this.port = port;
    this.config = config;
  }

  /** Starts a plain-TCP broker on a free port. */
  public static Mosquitto start(Path dir) throws Exception {
    return start(dir, null, false);
  }

  /**
   * Starts a broker on a free loopback port; with {@code tls}, a TLS listener using its server
   * certificate, requiring a client certificate if {@code requireClientCert}.
   */
  public static Mosquitto start(Path dir, TestCertificates tls, boolean requireClientCert) throws Exception {
    Mosquitto m = prepare(dir, tls, requireClientCert, false);
    m.startProcess();
    return m;
  }

  /**
   * Configures a broker without starting it ({@link #restart()} starts it). With {@code
   * persistent}, sessions and queued messages survive a stop and restart, as on a production broker.
   */
  public static Mosquitto prepare(Path dir, TestCertificates tls, boolean requireClientCert, boolean persistent) throws Exception {
    Files.createDirectories(dir);
    int port = freePort();
    List<String> lines = new ArrayList<>();
    lines.add("listener " + port + " 127.0.0.1");
    lines.add("allow_anonymous true");
    // Started as root, mosquitto drops to the 'mosquitto' user, which cannot write in the test's
    // temporary folder; as any other user this line is ignored.
    lines.add("user " + System.getProperty("user.name"));
    lines.add("persistence " + persistent);
    lines.add("persistence_location " + dir + "/");
    lines.add("autosave_interval 1");
    lines.add("max_inflight_messages 0");
    lines.add("max_queued_messages 100000");
    lines.add("log_dest file " + dir.resolve("mosquitto.log"));
    if (tls != null) {
      lines.add("cafile " + tls.caCert);
      lines.add("certfile " + tls.serverCert);
      lines.add("keyfile " + tls.serverKey);
      lines.add("require_certificate " + requireClientCert);
    }
    Path config = dir.resolve("mosquitto.conf");
    Files.write(config, lines);
    return new Mosquitto(dir, port, config);
  }

  /**
   * Starts a broker on {@code port} whose configuration is the {@code *.conf} files in {@code
   * confDir}, included as they are (mosquitto's {@code include_dir}): for configurations the code
   * under test writes. Logs everything to {@code dir/mosquitto.log} ({@link #log()}).
   */
  public static Mosquitto startIncluding(Path dir, Path confDir, int port) throws Exception {
    Files.createDirectories(dir);
    Path config = dir.resolve("mosquitto.conf");
    // Started as root, mosquitto drops to the 'mosquitto' user, which cannot read the test's files;
    // as any other user this line is ignored.
    Files.write(config, List.of("user " + System.getProperty("user.name"), "log_type all",
        "log_dest file " + dir.resolve("mosquitto.log"), "include_dir " + confDir.toAbsolutePath()));
    Mosquitto m = new Mosquitto(dir, port, config);
    m.startProcess();
    return m;
  }

  /** The installed mosquitto executable, or null when there is none (nothing is installed). */
  public static String installedBinary() {
    for (String p : new String[] {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto"}) {
      if (Files.isExecutable(Path.of(p))) {
        return p;
      }
    }
    return null;
  }

  /** The broker's whole log, for assertions and failure messages. */
  public String log() {
    try {
      return Files.readString(dir.resolve("mosquitto.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** The last lines of the broker's log, for failure messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(dir.resolve("mosquitto.log"));
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  public int port() {
    return port;
  }

  public String tcpUri() {
    return "tcp://127.0.0.1:" + port;
  }

  public String sslUri() {
    return "ssl://127.0.0.1:" + port;
  }

  /** Stops the broker (SIGTERM) and waits for it to exit. */
  public void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
    process = null;
  }

  /** Starts the broker again on the same port. */
  public void restart() throws Exception {
    stop();
    startProcess();
  }

  private void startProcess() throws Exception {
    process = new ProcessBuilder(binary(), "-c", config.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
    long deadline = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) {
        fail("mosquitto exited at start: " + Files.readString(dir.resolve("stdout.log")));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    fail("mosquitto did not listen on port " + port + " within 10 s");
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  /** The mosquitto executable, installing the Debian package if needed and possible. */
  public static synchronized String binary() throws Exception {
    String installed = installedBinary();
    if (installed != null) {
      return installed;
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root && Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
      System.err.println("mosquitto not found: installing the Debian package (apt-get install mosquitto)");
      // Not inheritIO: the test JVM's stdin/stdout are the test runner's channel, which apt's output would corrupt.
      Path log = Files.createTempFile("popw-apt", ".log");
      Process p = new ProcessBuilder("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      p.getOutputStream().close();
      if (p.waitFor(600, TimeUnit.SECONDS) && p.exitValue() == 0 && Files.isExecutable(Path.of("/usr/sbin/mosquitto"))) {
        return "/usr/sbin/mosquitto";
      }
    }
    fail("these tests need a Mosquitto broker binary: sudo apt-get install mosquitto");
    return null;
  }

  /** True if a broker already listens on 127.0.0.1:1883 (the machine's own). */
  public static boolean systemBrokerRunning() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", 1883), 300);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
