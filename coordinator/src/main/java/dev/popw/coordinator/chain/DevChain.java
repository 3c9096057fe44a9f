package dev.popw.coordinator.chain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local anvil chain (npm package {@code @foundry-rs/anvil}, installed by {@code npm ci --prefix
 * contracts}) for dev mode and tests. anvil runs under a small shell watchdog that stops it when
 * this JVM dies, even by {@code kill -9}, so no orphan keeps the port or the state file.
 */
public final class DevChain implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DevChain.class);
  private static final Pattern LISTENING = Pattern.compile("Listening on ([0-9.]+):(\\d+)");

  /** anvil's well-known account #0: admin and coordinator account in dev mode. Never use it elsewhere. */
  public static final String DEV_KEY = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

  private static final String WATCHDOG =
      "A=\"$1\"; shift; P=\"$1\"; shift; \"$A\" \"$@\" & C=$!; trap 'kill $C 2>/dev/null; wait $C; exit 0' TERM INT;"
          + " while kill -0 \"$P\" 2>/dev/null && kill -0 \"$C\" 2>/dev/null; do sleep 0.5; done; kill $C 2>/dev/null; wait $C";

  private final Process process;
  private final int port;
  private final Path log;

  private DevChain(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /**
   * Finds the anvil binary: the configured path, else {@code contracts/node_modules} in the
   * working directory or a parent, or in a parent of this jar (a checkout's, when started from
   * elsewhere), else {@code anvil} on the PATH.
   *
   * @throws ChainException (not retryable) with the install command when there is none
   */
  public static Path findAnvil(String configured) {
    if (configured != null && !configured.isBlank()) {
      Path p = Path.of(configured);
      if (!Files.isExecutable(p)) {
        throw new ChainException("chain.anvil is " + configured + ", which is not an executable file", false);
      }
      return p;
    }
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("mac") ? "darwin" : "linux";
    String pkg = "anvil-" + os + "-" + (arch.contains("aarch64") || arch.contains("arm64") ? "arm64" : "amd64");
    for (Path start : new Path[] {Path.of("").toAbsolutePath(), codeLocation()}) {
      for (Path dir = start; dir != null; dir = dir.getParent()) {
        Path p = dir.resolve("contracts/node_modules/@foundry-rs").resolve(pkg).resolve("bin/anvil");
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(d, "anvil");
      if (!d.isEmpty() && Files.isExecutable(p)) {
        return p;
      }
    }
    throw new ChainException("anvil (the local dev chain) is not installed: run 'npm ci --prefix contracts' in the"
        + " PoPW Edge checkout (needs Node.js 20+), or set chain.anvil to its path", false);
  }

  /** The jar or classes folder this class came from (in a checkout, under it), or null. */
  private static Path codeLocation() {
    try {
      return Path.of(DevChain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
    } catch (RuntimeException | java.net.URISyntaxException e) {
      return null;
    }
  }

  /**
   * Starts anvil on 127.0.0.1 and waits until it listens.
   *
   * @param port 0 picks a free port
   * @param stateFile where anvil keeps the chain between runs (null: a fresh chain each time)
   * @param extraArgs more anvil options, for example {@code --no-mining}
   */
  public static DevChain start(Path anvil, int port, Path stateFile, Path logFile, List<String> extraArgs) {
    List<String> cmd = new ArrayList<>(List.of("sh", "-c", WATCHDOG, "sh", anvil.toString(),
        Long.toString(ProcessHandle.current().pid()), "--host", "127.0.0.1", "--port", Integer.toString(port)));
    if (stateFile != null) {
      cmd.addAll(List.of("--state", stateFile.toString(), "--state-interval", "1"));
    }
    cmd.addAll(extraArgs);
    try {
      Files.createDirectories(logFile.toAbsolutePath().getParent());
      Files.deleteIfExists(logFile);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        String text = Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        Matcher m = LISTENING.matcher(text);
        if (m.find()) {
          DevChain c = new DevChain(p, Integer.parseInt(m.group(2)), logFile);
          LOG.info("dev chain (anvil) listening on {}{}", c.rpcUrl(), stateFile == null ? "" : ", state in " + stateFile);
          return c;
        }
        if (!p.isAlive()) {
          throw new ChainException("anvil exited with status " + p.exitValue() + ": " + tail(text), false);
        }
        Thread.sleep(50);
      }
      p.destroy();
      throw new ChainException("anvil did not start within 30 s (log: " + logFile + ")", false);
    } catch (IOException e) {
      throw new ChainException("cannot start anvil: " + e.getMessage(), e, false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ChainException("interrupted while starting anvil", e, false);
    }
  }

  private static String tail(String text) {
    String t = text.strip();
    return t.length() > 400 ? t.substring(t.length() - 400) : t;
  }

  public String rpcUrl() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public Path log() {
    return log;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Stops anvil (SIGTERM: it writes its state file first). */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
