package dev.popw.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorTokensTest {
  private static final String FIRST = "3f1c9a7e5b2d4c6f8a0e1b3d5f7a9c2e";
  private static final String SECOND = "d41d8cd98f00b204e9800998ecf8427e";
  private static final String FROM_ENV = "b7e23ec29af22b0b4e41da31e868d572";
  @TempDir Path dir;

  @Test
  void tokens_come_from_a_file_and_the_environment_and_are_named_by_source() throws Exception {
    Path f = dir.resolve("operators");
    Files.writeString(f, "# operators\n\n" + FIRST + "\n  " + SECOND + "  \n");
    OperatorTokens t = OperatorTokens.load(f, FROM_ENV);
    assertEquals(3, t.size());
    assertEquals(Optional.of("operators line 3"), t.match(FIRST));
    assertEquals(Optional.of("operators line 4"), t.match(SECOND), "surrounding spaces are not part of a token");
    assertEquals(Optional.of(OperatorTokens.ENVIRONMENT), t.match(FROM_ENV));
    assertEquals(Optional.empty(), t.match(FIRST + "x"));
    assertEquals(Optional.empty(), t.match(FIRST.substring(1)));
    assertEquals(Optional.empty(), t.match(""));
    assertEquals(Optional.empty(), t.match(null));
    assertFalse(t.toString().contains(FIRST) || t.toString().contains(SECOND) || t.toString().contains(FROM_ENV), t.toString());
    assertTrue(OperatorTokens.load(null, null).isEmpty());
    assertTrue(OperatorTokens.load(null, "  ").isEmpty(), "an empty variable is no token");
  }

  @Test
  void weak_tokens_and_bad_files_are_refused_without_printing_the_token() throws Exception {
    Path f = dir.resolve("operators");
    Files.writeString(f, FIRST + "\nshort-secret\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OperatorTokens.load(f, null));
    assertEquals("the operator token on operators line 2 is shorter than 16 characters (make one with: openssl rand -hex 32)",
        e.getMessage());
    Files.writeString(f, "# nothing here\n");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> OperatorTokens.load(f, null)).getMessage().contains("holds no token"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> OperatorTokens.load(dir.resolve("missing"), null)).getMessage()
        .startsWith("cannot read api.operator_token_file"));
    IllegalArgumentException env = assertThrows(IllegalArgumentException.class, () -> OperatorTokens.load(null, "tiny"));
    assertFalse(env.getMessage().contains("tiny"), env.getMessage());
    assertTrue(env.getMessage().startsWith(OperatorTokens.ENVIRONMENT), env.getMessage());
    assertThrows(IllegalArgumentException.class, () -> OperatorTokens.of("test", "with space inside the token"));
  }

  @Test
  void bearer_tokens_are_read_from_the_authorization_header() {
    assertEquals(FIRST, RequestGuard.bearer("Bearer " + FIRST));
    assertEquals(FIRST, RequestGuard.bearer("bearer   " + FIRST + " "));
    assertEquals(null, RequestGuard.bearer("Basic dXNlcjpwYXNz"));
    assertEquals(null, RequestGuard.bearer("Bearer"));
    assertEquals(null, RequestGuard.bearer(null));
  }
}
