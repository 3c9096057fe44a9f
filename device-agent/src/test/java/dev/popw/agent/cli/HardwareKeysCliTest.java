package dev.popw.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keygen --signer} and {@code info} mistakes with hardware signers, without a token: one line,
 * exit 1. (The real tokens: HardwareKeysIT; the ATECC608 protocol: sdk-core's Ecc608Test.)
 */
class HardwareKeysCliTest {
  @TempDir Path tmp;

  @Test
  void a_missing_i2c_bus_is_one_line_with_what_to_enable() {
    AgentCliTest.Result r = AgentCliTest.run("keygen", "--signer", "ecc608://i2c-97:0x60?slot=0");
    assertEquals(1, r.code(), r.toString());
    assertOneLine(r, "popw-agent: /dev/i2c-97 does not exist: enable I2C");
  }

  @Test
  void tokens_hold_p256_keys_only() {
    AgentCliTest.Result r = AgentCliTest.run("keygen", "--type", "ed25519", "--signer",
        "pkcs11:token=t;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:X");
    assertEquals(1, r.code(), r.toString());
    assertOneLine(r, "hardware tokens hold P-256 keys here");
  }

  @Test
  void info_with_a_missing_module_or_a_bad_uri_is_one_line() throws Exception {
    Path cfg = tmp.resolve("agent.toml");
    Files.writeString(cfg, "key_file = \"pkcs11:token=t;object=k?module-path=/nonexistent/libtoken.so\"\nstate_dir = \"" + tmp + "\"\n");
    AgentCliTest.Result r = AgentCliTest.run("info", "--config", cfg.toString());
    assertEquals(1, r.code(), r.toString());
    assertOneLine(r, "popw-agent: PKCS#11 module /nonexistent/libtoken.so not found");
    Files.writeString(cfg, "key_file = \"ecc608://i2c-1:0x60?slot=99\"\nstate_dir = \"" + tmp + "\"\n");
    r = AgentCliTest.run("info", "--config", cfg.toString());
    assertEquals(1, r.code(), r.toString());
    assertOneLine(r, "ATECC608 slot 99");
  }

  private static void assertOneLine(AgentCliTest.Result r, String expected) {
    String err = r.err().strip();
    assertFalse(err.contains("\n"), err);
    assertTrue(err.contains(expected), err);
  }
}
