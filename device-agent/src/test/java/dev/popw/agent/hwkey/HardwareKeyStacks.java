package dev.popw.agent.hwkey;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real token stacks for the hardware-key tests, through src/test/scripts/hwkey-stack.sh, which
 * installs the Debian packages when they are missing. Nothing is skipped: when a stack cannot be
 * installed or started, the test fails with the script's one line.
 */
final class HardwareKeyStacks implements AutoCloseable {
  static final Path SCRIPT = Path.of("src/test/scripts/hwkey-stack.sh").toAbsolutePath();
  final Path dir;
  final Map<String, String> env;
  final String module;

  private HardwareKeyStacks(Path dir, Map<String, String> env) {
    this.dir = dir;
    this.env = env;
    this.module = env.get("MODULE");
  }

  static HardwareKeyStacks softhsm(Path dir, String label, String pin) throws Exception {
    return start(dir, "softhsm", label, pin);
  }

  static HardwareKeyStacks tpm(Path dir, String label, String pin) throws Exception {
    int port;
    try (java.net.ServerSocket a = new java.net.ServerSocket(0)) {
      port = a.getLocalPort();
    }
    return start(dir, "tpm", label, pin, String.valueOf(port));
  }

  private static HardwareKeyStacks start(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("sh", SCRIPT.toString(), args[0], dir.toString()));
    cmd.addAll(List.of(args).subList(1, args.length));
    Files.createDirectories(dir);
    Path log = dir.resolve("stack.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(args[0] + " stack did not start within 300 s: " + Files.readString(log));
    }
    if (p.exitValue() != 0) {
      fail("the " + args[0] + " stack could not be installed or started: " + Files.readString(log).strip());
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : Files.readAllLines(dir.resolve("env"), StandardCharsets.UTF_8)) {
      int eq = line.indexOf('=');
      env.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return new HardwareKeyStacks(dir, env);
  }

  /** Runs a Java main class in a JVM of its own with this stack's environment (tokens read it at C_Initialize). */
  Result java(Map<String, String> extraEnv, String mainClass, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-exports", "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED", "-Xmx128m",
        "-cp", System.getProperty("java.class.path"), mainClass));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    pb.environment().putAll(extraEnv);
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(mainClass + " " + String.join(" ", args) + " did not finish in 120 s; stderr: " + Files.readString(err));
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** Starts a JVM and leaves it running (the agent). */
  Process spawn(Map<String, String> extraEnv, Path log, String mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-exports", "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED", "-Xmx128m",
        "-cp", System.getProperty("java.class.path"), mainClass));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().putAll(extraEnv);
    return pb.start();
  }

  /** Runs a command-line tool (pkcs11-tool) with this stack's environment. */
  Result tool(String... cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    Path out = Files.createTempFile(dir, "tool", ".txt");
    Process p = pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(String.join(" ", cmd) + " did not finish");
    }
    return new Result(p.exitValue(), Files.readString(out), "");
  }

  record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\nstdout: " + out + "\nstderr: " + err;
    }
  }

  @Override
  public void close() throws Exception {
    new ProcessBuilder("sh", SCRIPT.toString(), "stop", dir.toString()).start().waitFor(30, TimeUnit.SECONDS);
  }
}
