package dev.popw.coordinator.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The explorer's browser tests' tools: {@code playwright-core} at the version pinned in
 * {@code coordinator/src/test/browser/package.json} (installed with {@code npm ci} there when
 * missing, as {@link ContractsNpm} does for the chain tools), and Debian's {@code chromium}
 * (installed with {@code apt-get} when {@code /usr/bin/chromium} is missing and this user may).
 * Without them CI fails and a developer's run skips ({@link ContractsNpm#unavailable}).
 */
public final class BrowserNpm {
  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  private BrowserNpm() {}

  /** The folder of the browser scripts (coordinator/src/test/browser). */
  public static Path dir() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path p = d.resolve("src/test/browser/package.json");
      if (Files.exists(p)) {
        return p.getParent();
      }
      p = d.resolve("coordinator/src/test/browser/package.json");
      if (Files.exists(p)) {
        return p.getParent();
      }
    }
    throw new IllegalStateException("coordinator/src/test/browser/package.json not found above " + Path.of("").toAbsolutePath());
  }

  /** Makes sure playwright-core and chromium are installed; returns the scripts' folder. */
  public static synchronized Path require() {
    Path dir = dir();
    try {
      ObjectMapper json = new ObjectMapper();
      String pinned = json.readTree(dir.resolve("package.json").toFile()).path("devDependencies").path("playwright-core").asText();
      Path installed = dir.resolve("node_modules/playwright-core/package.json");
      if (!Files.exists(installed) || !pinned.equals(json.readTree(installed.toFile()).path("version").asText())) {
        run(dir, "installing playwright-core: npm ci in " + dir, "npm", "ci", "--no-audit", "--no-fund");
      }
      if (!Files.isExecutable(CHROMIUM)) {
        run(dir, "installing Debian's chromium with apt-get", "sh", "-c",
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)");
        if (!Files.isExecutable(CHROMIUM)) {
          ContractsNpm.unavailable(CHROMIUM + " is missing and could not be installed: apt-get install chromium");
        }
      }
    } catch (IOException e) {
      ContractsNpm.unavailable("cannot read the browser tests' package.json: " + e.getMessage());
    }
    return dir;
  }

  private static void run(Path dir, String what, String... cmd) {
    try {
      Path log = Files.createTempFile("popw-browser-setup", ".log");
      System.err.println(what + " (log: " + log + ")");
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      p.getOutputStream().close();
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        ContractsNpm.unavailable(what + " failed: " + Files.readString(log));
      }
    } catch (IOException e) {
      ContractsNpm.unavailable(what + ": cannot run " + cmd[0] + " (" + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ContractsNpm.unavailable("interrupted");
    }
  }
}
