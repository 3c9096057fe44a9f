package dev.popw.examples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository's {@code ./popw} launcher, run from another directory against a copy of it whose
 * jars are already built and whose {@code java} is a stand-in that records where it was started
 * and with what arguments. Relative paths a user gives must mean what they mean in the user's
 * directory, so the program must start there.
 */
class LauncherTest {
  static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();

  @TempDir Path tmp;
  Path repo;
  Path bin;
  Path caller;
  Path record;

  @BeforeEach
  void fakeCheckout() throws IOException {
    repo = tmp.resolve("checkout");
    bin = tmp.resolve("bin");
    caller = Files.createDirectories(tmp.resolve("somewhere else"));
    record = tmp.resolve("java-calls.txt");
    copyExecutable(ROOT.resolve("popw"), repo.resolve("popw"));
    copyExecutable(ROOT.resolve("device-agent/bin/popw-agent"), repo.resolve("device-agent/bin/popw-agent"));
    for (String jar : List.of("examples/demo/target/popw-demo.jar", "examples/quickstart/target/popw-quickstart.jar",
        "device-agent/target/popw-agent.jar", "coordinator/target/popw-coordinator.jar")) {
      Files.createDirectories(repo.resolve(jar).getParent());
      Files.writeString(repo.resolve(jar), "built");
    }
    executable(repo.resolve("contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"), "exit 0");
    executable(repo.resolve("mvnw"), "echo 'mvnw must not run: the jars are built' >&2; exit 99");
    // java -XshowSettings (the version check) answers 17; any other call records its directory and arguments.
    executable(bin.resolve("java"), "case \"$1\" in -XshowSettings*) echo '    java.specification.version = 17' >&2; exit 0;; esac\n"
        + "{ echo \"cwd=$(pwd)\"; for a in \"$@\"; do echo \"arg=$a\"; done; echo end; } >> \"$POPW_TEST_RECORD\"");
    executable(bin.resolve("node"), "exit 0");
    executable(bin.resolve("npm"), "exit 0");
  }

  @Test
  void every_command_runs_its_program_in_the_callers_directory_with_the_arguments_unchanged() throws Exception {
    assertEquals(0, popw("agent", "keygen", "--out", "keys/device.key").code);
    assertEquals(0, popw("coordinator", "run", "-c", "my-coordinator.toml").code);
    assertEquals(0, popw("quickstart", "--keep", "q").code);
    assertEquals(0, popw("demo", "--data", "demo-state").code);
    List<List<String>> calls = calls();
    assertEquals(4, calls.size(), calls.toString());
    for (List<String> c : calls) {
      assertEquals("cwd=" + caller, c.get(0), "started in the caller's directory: " + c);
    }
    assertEquals(List.of("-jar", repo + "/device-agent/target/popw-agent.jar", "keygen", "--out", "keys/device.key"),
        tail(calls.get(0), 5));
    assertTrue(calls.get(0).contains("arg=-Xmx32m"), "through the agent's own launcher, with its JVM flags: " + calls.get(0));
    assertEquals(List.of("-jar", repo + "/coordinator/target/popw-coordinator.jar", "run", "-c", "my-coordinator.toml"),
        tail(calls.get(1), 5));
    assertEquals(List.of("-jar", repo + "/examples/quickstart/target/popw-quickstart.jar", "--keep", "q"), tail(calls.get(2), 4));
    assertEquals(List.of("-jar", repo + "/examples/demo/target/popw-demo.jar", "--data", "demo-state"), tail(calls.get(3), 4));
    try (var files = Files.list(caller)) {
      assertEquals(List.of(), files.toList(), "the launcher itself writes nothing where it is called");
    }
  }

  @Test
  void help_reaches_each_program_and_the_launcher_has_its_own() throws Exception {
    for (String command : List.of("agent", "coordinator", "quickstart", "demo")) {
      assertEquals(0, popw(command, "--help").code, command);
    }
    for (List<String> c : calls()) {
      assertEquals("arg=--help", c.get(c.size() - 1), c.toString());
    }
    for (String help : List.of("help", "--help", "-h")) {
      Result r = popw(help);
      assertEquals(0, r.code, help);
      assertTrue(r.out.startsWith("Usage: ./popw <command>"), r.out);
      assertTrue(r.out.contains("quickstart") && r.out.contains("agent ARGS"), r.out);
    }
    Result unknown = popw("bogus");
    assertEquals(2, unknown.code);
    assertTrue(unknown.err.startsWith("popw: unknown command 'bogus'"), unknown.err);
    assertFalse(Files.exists(record) && Files.readString(record).contains("bogus"));
  }

  record Result(int code, String out, String err) {}

  private Result popw(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(repo.resolve("popw").toString()));
    cmd.addAll(List.of(args));
    Path out = tmp.resolve("out.txt");
    Path err = tmp.resolve("err.txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(caller.toFile());
    pb.environment().put("PATH", bin + ":/usr/bin:/bin");
    pb.environment().put("POPW_TEST_RECORD", record.toString());
    pb.environment().remove("POPW_AGENT_JAR");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "popw " + String.join(" ", args) + " finishes");
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** The stand-in java's calls, each as its lines (cwd=..., arg=...), in order. */
  private List<List<String>> calls() throws IOException {
    List<List<String>> calls = new ArrayList<>();
    List<String> current = new ArrayList<>();
    for (String line : Files.exists(record) ? Files.readAllLines(record) : List.<String>of()) {
      if (line.equals("end")) {
        calls.add(current);
        current = new ArrayList<>();
      } else {
        current.add(line);
      }
    }
    return calls;
  }

  private static List<String> tail(List<String> call, int n) {
    return call.subList(call.size() - n, call.size()).stream().map(l -> l.substring("arg=".length())).toList();
  }

  private static void copyExecutable(Path from, Path to) throws IOException {
    Files.createDirectories(to.getParent());
    Files.copy(from, to);
    Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static void executable(Path file, String body) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
