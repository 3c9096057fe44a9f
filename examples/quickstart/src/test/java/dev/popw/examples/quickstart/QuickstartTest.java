package dev.popw.examples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuickstartTest {
  @TempDir Path dir;

  @Test
  void runs_every_step_and_continues_the_sequence_on_a_second_run() throws Exception {
    String first = run("--keep", dir.toString());
    assertTrue(first.contains("All steps behaved as expected."), first);
    assertEquals(3, first.lines().filter(l -> l.contains("verifier says OK")).count(), first);
    assertEquals(3, first.lines().filter(l -> l.contains("verifier says BAD_SIGNATURE")).count(), first);
    assertTrue(first.contains("#1,"), first);
    String second = run("--keep", dir.toString());
    assertTrue(second.contains("#2,"), "the persisted sequence continues: " + second);
  }

  @Test
  void rejects_unknown_arguments_in_one_line_naming_the_quickstart() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(2, Quickstart.run(new String[] {"--bogus"}, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertEquals("", out.toString(StandardCharsets.UTF_8));
    assertEquals("popw quickstart: unknown argument '--bogus'; usage: popw quickstart [--keep DIR]",
        err.toString(StandardCharsets.UTF_8).strip());
  }

  @Test
  void help_is_the_quickstarts_own() throws Exception {
    String help = run("--help");
    assertTrue(help.startsWith("Usage: popw quickstart [--keep DIR]"), help);
    assertFalse(help.contains("demo"), help);
  }

  private static String run(String... args) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int rc = Quickstart.run(args, new PrintStream(buf, true, StandardCharsets.UTF_8), System.err);
    String out = buf.toString(StandardCharsets.UTF_8);
    assertEquals(0, rc, out);
    return out;
  }
}
