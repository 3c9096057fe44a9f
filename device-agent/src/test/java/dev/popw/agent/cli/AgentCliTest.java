package dev.popw.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command has --help; user mistakes are one line on stderr and a non-zero exit, never a stack trace. */
class AgentCliTest {
  @TempDir Path tmp;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = AgentCli.execute(args);
      return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void every_command_has_help() {
    for (String c : new String[] {"keygen", "info", "register", "run", "status"}) {
      Result r = run(c, "--help");
      assertEquals(0, r.code(), c);
      assertTrue(r.out().contains("Usage: popw-agent " + c), r.out());
    }
    assertTrue(run("--help").out().contains("keygen"));
  }

  @Test
  void keygen_then_info_show_the_device() throws Exception {
    Path key = tmp.resolve("device.key");
    Result k = run("keygen", "--type", "secp256k1", "--out", key.toString());
    assertEquals(0, k.code(), k.err());
    assertTrue(k.out().contains("device id: did:key:zQ3s"), k.out());
    assertTrue(k.out().contains("evm address: 0x"), k.out());
    Path cfg = tmp.resolve("agent.toml");
    Files.writeString(cfg, "key_file = \"" + key + "\"\nstate_dir = \"" + tmp.resolve("state") + "\"\n");
    Result info = run("info", "--json", "--config", cfg.toString());
    assertEquals(0, info.code(), info.err());
    assertTrue(info.out().contains("\"key_type\" : \"ECDSA_SECP256K1\""), info.out());
    assertTrue(info.out().contains("\"agent\" : \"never ran here\""), info.out());
    Result again = run("keygen", "--out", key.toString());
    assertOneLine(again, "already exists");
  }

  @Test
  void mistakes_are_one_clear_line() throws Exception {
    Path cfg = tmp.resolve("agent.toml");
    Files.writeString(cfg, "key_file = \"" + tmp.resolve("missing.key") + "\"\nstate_dir = \"" + tmp.resolve("state") + "\"\n"
        + "[coordinator]\napi_url = \"http://127.0.0.1:1\"\n");
    assertOneLine(run("info", "--config", cfg.toString()), "does not exist");
    assertOneLine(run("run", "--config", cfg.toString()), "does not exist");
    assertOneLine(run("status", "--config", cfg.toString()), "has not run");
    assertOneLine(run("info", "--config", tmp.resolve("nope.toml").toString()), "nope.toml does not exist");
    assertOneLine(run("keygen", "--type", "rsa", "--out", tmp.resolve("k").toString()), "rsa");
    Path key = tmp.resolve("ok.key");
    run("keygen", "--out", key.toString());
    Files.writeString(cfg, "key_file = \"" + key + "\"\nstate_dir = \"" + tmp.resolve("state") + "\"\n"
        + "[coordinator]\napi_url = \"http://127.0.0.1:1\"\n");
    assertOneLine(run("register", "--owner", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "--config", cfg.toString()),
        "cannot reach the coordinator");
    assertOneLine(run("register", "--owner", "0x1234", "--config", cfg.toString()), "--owner");
    assertOneLine(run("run", "--config", cfg.toString()), "no source is enabled");
    Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    assertOneLine(run("info", "--config", cfg.toString()), "chmod");
  }

  private static void assertOneLine(Result r, String expected) {
    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("popw-agent: "), r.err());
    assertTrue(r.err().contains(expected), r.err());
    assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  /** The real process with a misspelled override in its environment: one warning line, and the command still runs. */
  @Test
  void a_misspelled_popw_variable_is_one_warning_line() throws Exception {
    Path cfg = tmp.resolve("agent.toml");
    Files.writeString(cfg, "key_file = \"" + tmp.resolve("device.key") + "\"\n");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), AgentCli.class.getName(), "keygen",
        "--config", cfg.toString());
    pb.environment().keySet().removeIf(k -> k.startsWith("POPW_"));
    pb.environment().put("POPW_TRANSPORT_ULR", "tcp://127.0.0.1:1884");
    pb.redirectOutput(tmp.resolve("out.txt").toFile()).redirectError(tmp.resolve("err.txt").toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
    String err = Files.readString(tmp.resolve("err.txt"));
    assertEquals(0, p.exitValue(), err);
    assertEquals("popw-agent: warning: POPW_TRANSPORT_ULR is not a popw-agent setting and is ignored; did you mean POPW_TRANSPORT_URL?",
        err.strip());
    assertTrue(Files.readString(tmp.resolve("out.txt")).contains("device id: did:key:z6Mk"));
  }
}
