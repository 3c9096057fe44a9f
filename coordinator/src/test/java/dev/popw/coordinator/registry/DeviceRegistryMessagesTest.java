package dev.popw.coordinator.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.ingest.PipelineConfig;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import dev.popw.testing.TestKeys;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A refusal is one line for the device owner even when the registration's own text is hostile.
 * Found by DeviceRegistryFuzzer: a validly signed registration whose network id held a line break
 * made a two-line refusal (and could put a forged line into anything that logs it).
 */
class DeviceRegistryMessagesTest {
  @TempDir
  Path dir;

  @Test
  void a_network_id_with_control_characters_is_quoted_escaped_in_one_line() {
    Database db = TestDatabases.h2(dir);
    try (IngestPipeline pipeline = new IngestPipeline(new Store(db), PipelineConfig.builder("popw-test").build(), Clock.systemUTC())) {
      DeviceRegistry registry = new DeviceRegistry(new Store(db), pipeline, "popw-test", Clock.systemUTC(), Duration.ofMinutes(5));
      byte[] signed = Registrations.sign(TestKeys.signer(KeyType.ED25519), EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
          DeviceKind.SENSOR, null, "popw-\nINFO coordinator accepted\u202e'", Clock.systemUTC());
      RegistrationException e = assertThrows(RegistrationException.class, () -> registry.register(signed));
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
      assertFalse(e.getMessage().contains("\u202e"), "no bidirectional override: " + e.getMessage());
      assertTrue(e.getMessage().contains("'popw-\\u000aINFO coordinator accepted\\u202e\\u0027'"), e.getMessage());
    } finally {
      db.close();
    }
  }

  @Test
  void quoting_keeps_ordinary_text_and_cuts_long_text() {
    assertEquals("'popw-mainnet'", DeviceRegistry.quoted("popw-mainnet"));
    assertEquals("'" + "x".repeat(64) + "'...", DeviceRegistry.quoted("x".repeat(1000)));
    assertEquals("'Zürich 東京'", DeviceRegistry.quoted("Zürich 東京"));
  }
}
