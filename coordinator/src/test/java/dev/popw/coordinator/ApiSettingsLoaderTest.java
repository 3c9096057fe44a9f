package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.api.ApiSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The [api] section: limits, operator tokens from a file and POPW_OPERATOR_TOKEN, and the loopback default. */
class ApiSettingsLoaderTest {
  private static final String TOKEN = "0b8f5c2e7a9d4e1f6c3b8a5d2e7f4c1a";
  @TempDir Path dir;

  @Test
  void the_api_listens_on_loopback_unless_told_otherwise() {
    assertEquals("127.0.0.1", CoordinatorSettings.defaults().bindHost());
    assertEquals("127.0.0.1", SettingsLoader.load(null, Map.of()).bindHost());
    assertEquals("0.0.0.0", SettingsLoader.load(null, Map.of("POPW_BIND_HOST", "0.0.0.0")).bindHost());
  }

  @Test
  void limits_and_tokens_are_settings() throws Exception {
    Path tokens = dir.resolve("operator-tokens");
    Files.writeString(tokens, "# one a line\n" + TOKEN + "\n");
    Path f = dir.resolve("c.toml");
    Files.writeString(f, "[api]\nport = 8081\nmax_body_bytes = 4096\nread_timeout_seconds = 3\nworkers = 2\nqueue = 1\nthreads = 4\n"
        + "rate_limit_per_second = 5\nrate_limit_burst = 7\noperator_token_file = \"" + tokens + "\"\nread_requires_token = true\n");
    CoordinatorSettings s = SettingsLoader.load(f, Map.of("POPW_API_WRITE_TIMEOUT_SECONDS", "4", "POPW_OPERATOR_TOKEN", TOKEN + "ff"));
    ApiSettings a = s.api();
    assertEquals(8081, s.apiPort(), "api.port stays where it was");
    assertEquals(4096, a.maxBodyBytes());
    assertEquals(Duration.ofSeconds(3), a.readTimeout());
    assertEquals(Duration.ofSeconds(4), a.writeTimeout());
    assertEquals(List.of(2, 1, 4, 5, 7), List.of(a.workers(), a.queue(), a.threads(), a.rateLimitPerSecond(), a.rateLimitBurst()));
    assertTrue(a.readRequiresToken());
    assertEquals(Optional.of("operator-tokens line 2"), a.operatorTokens().match(TOKEN));
    assertEquals(Optional.of("POPW_OPERATOR_TOKEN"), a.operatorTokens().match(TOKEN + "ff"));
    assertFalse(s.toString().contains(TOKEN), "the settings never print a token");
  }

  @Test
  void inconsistent_limits_and_missing_tokens_are_one_line_errors() throws Exception {
    SettingsException threads = assertThrows(SettingsException.class,
        () -> SettingsLoader.load(null, Map.of("POPW_API_THREADS", "8", "POPW_API_WORKERS", "4", "POPW_API_QUEUE", "4")));
    assertTrue(threads.getMessage().startsWith("api.threads (8) must be more than api.workers + api.queue (8)"), threads.getMessage());
    SettingsException read = assertThrows(SettingsException.class,
        () -> SettingsLoader.load(null, Map.of("POPW_API_READ_REQUIRES_TOKEN", "true")));
    assertTrue(read.getMessage().contains("no operator token"), read.getMessage());
    SettingsException weak = assertThrows(SettingsException.class, () -> SettingsLoader.load(null, Map.of("POPW_OPERATOR_TOKEN", "hunter2")));
    assertFalse(weak.getMessage().contains("hunter2"), weak.getMessage());
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(null, Map.of("POPW_API_MAX_BODY_BYTES", "0")))
        .getMessage().contains("api.max_body_bytes"));
    assertEquals(1, threads.getMessage().lines().count());
  }

  @Test
  void the_operator_token_variable_is_not_an_unknown_variable() {
    assertEquals(List.of(), SettingsLoader.unknownVariables(Map.of("POPW_OPERATOR_TOKEN", TOKEN)));
  }
}
