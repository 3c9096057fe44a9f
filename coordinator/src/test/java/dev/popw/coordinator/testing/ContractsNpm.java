package dev.popw.coordinator.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The pinned npm packages of {@code contracts/} (anvil, solc, OpenZeppelin) for tests. A fresh clone
 * has no {@code contracts/node_modules}; {@link #require} runs {@code npm ci} there first. Without
 * Node.js, CI fails and a developer's run skips the test.
 */
public final class ContractsNpm {
  private ContractsNpm() {}

  /** The checkout's contracts/ folder. */
  public static Path contractsDir() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.exists(d.resolve("contracts/package.json"))) {
        return d.resolve("contracts");
      }
    }
    throw new IllegalStateException("contracts/package.json not found above " + Path.of("").toAbsolutePath());
  }

  /**
   * Makes sure the npm package {@code name} is installed at the version pinned in
   * contracts/package.json, running {@code npm ci} when it is missing or at another version (a
   * checkout from before the package was added). Returns its folder.
   */
  public static synchronized Path require(String name) {
    Path dir = contractsDir().resolve("node_modules").resolve(name);
    String pinned = pinnedVersion(name);
    if (!pinned.equals(installedVersion(dir))) {
      npmCi();
      if (!pinned.equals(installedVersion(dir))) {
        unavailable("'npm ci' in " + contractsDir() + " did not install " + name + " " + pinned);
      }
    }
    return dir;
  }

  /** Runs {@code npm ci} in contracts/; aborts or fails the test (see the class comment) if it cannot. */
  public static synchronized void npmCi() {
    Path dir = contractsDir();
    try {
      // Not inheritIO: the test JVM's stdin/stdout are the test runner's channel, which npm's output would corrupt.
      Path log = Files.createTempFile("popw-npm-ci", ".log");
      System.err.println("installing the pinned chain tools: npm ci in " + dir + " (log: " + log + ")");
      Process p = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(dir.toFile())
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      p.getOutputStream().close();
      if (p.waitFor(10, TimeUnit.MINUTES) && p.exitValue() == 0) {
        return;
      }
      unavailable("'npm ci' in " + dir + " failed (exit " + (p.isAlive() ? "timeout" : p.exitValue()) + "): " + Files.readString(log));
    } catch (IOException e) {
      unavailable("the npm packages are not installed and npm is not available (" + e.getMessage() + "); install Node.js 20+");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      unavailable("interrupted");
    }
  }

  /** Fails the test on CI (environment variable {@code CI} set), skips it elsewhere. */
  public static void unavailable(String msg) {
    if (System.getenv("CI") != null) {
      fail(msg);
    }
    Assumptions.abort(msg);
  }

  private static String pinnedVersion(String name) {
    JsonNode v = readJson(contractsDir().resolve("package.json")).path("devDependencies").path(name);
    if (!v.isTextual()) {
      throw new IllegalStateException(name + " is not in contracts/package.json's devDependencies");
    }
    return v.asText();
  }

  private static String installedVersion(Path packageDir) {
    Path f = packageDir.resolve("package.json");
    return Files.exists(f) ? readJson(f).path("version").asText() : null;
  }

  private static JsonNode readJson(Path f) {
    try {
      return new ObjectMapper().readTree(f.toFile());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + f + ": " + e.getMessage(), e);
    }
  }
}
