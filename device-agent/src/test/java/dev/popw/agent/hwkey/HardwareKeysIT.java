package dev.popw.agent.hwkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.store.EnvelopeRow;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.Reason;
import dev.popw.identity.DeviceId;
import dev.popw.testing.Mosquitto;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hardware-held device keys end to end, against the real stacks from Debian (installed by the test
 * when missing): SoftHSM2, and a software TPM 2.0 (swtpm, tpm2-abrmd, tpm2-pkcs11). In each:
 * {@code popw-agent keygen --signer pkcs11:...} makes the key in the token, {@code info} reports the
 * token, {@code register} records it at a real coordinator, {@code run} signs telemetry that the
 * coordinator verifies and accepts; a wrong PIN and a missing token are one line; the private key is
 * sensitive and never extractable, and reading it out of the token is refused.
 */
class HardwareKeysIT {
  private static final String CLI = "dev.popw.agent.cli.AgentCli";
  private static final String PIN = "4711-popw";
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void softhsm2_key_made_in_the_token_signs_envelopes_the_coordinator_accepts() throws Exception {
    try (HardwareKeyStacks stack = HardwareKeyStacks.softhsm(tmp.resolve("softhsm"), "popw", PIN)) {
      endToEnd(stack, "PKCS11", "pkcs11 (token 'popw', SoftHSM project SoftHSM v2");
    }
  }

  @Test
  void tpm2_key_made_through_tpm2_pkcs11_signs_envelopes_the_coordinator_accepts() throws Exception {
    try (HardwareKeyStacks stack = HardwareKeyStacks.tpm(tmp.resolve("tpm"), "popw", PIN)) {
      endToEnd(stack, "TPM", "tpm (token 'popw', TPM ");
    }
  }

  private void endToEnd(HardwareKeyStacks stack, String storageKind, String storagePrefix) throws Exception {
    Path pinFile = tmp.resolve("pin");
    Files.writeString(pinFile, PIN + "\n");
    Files.setPosixFilePermissions(pinFile, PosixFilePermissions.fromString("rw-------"));
    String uri = "pkcs11:token=popw;object=device?module-path=" + stack.module + "&pin-source=file:" + pinFile;
    int mqtt = Mosquitto.freePort();
    int api = Mosquitto.freePort();
    try (Coordinator coordinator = Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test")
        .withDataDirectory(tmp.resolve("coordinator")).withEmbeddedMqtt(mqtt).withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(api))) {
      Path cfg = config("agent.toml", uri, mqtt, api);

      // keygen in the token
      HardwareKeyStacks.Result keygen = stack.java(Map.of(), CLI, "keygen", "--signer", uri, "--config", cfg.toString());
      assertEquals(0, keygen.exit(), keygen.toString());
      Matcher m = Pattern.compile("device id: (did:key:\\S+)").matcher(keygen.out());
      assertTrue(m.find(), keygen.toString());
      DeviceId id = DeviceId.parse(m.group(1));
      assertTrue(keygen.out().contains("generated a P-256 key in " + storagePrefix), keygen.out());
      // a second keygen never replaces it
      HardwareKeyStacks.Result again = stack.java(Map.of(), CLI, "keygen", "--config", cfg.toString());
      assertEquals(1, again.exit(), again.toString());
      assertOneLine(again, "already holds a key labelled 'device'");

      // the device id is the token's public key (read by an independent tool, pkcs11-tool)
      HardwareKeyStacks.Result objects = stack.tool("pkcs11-tool", "--module", stack.module, "--token-label", "popw", "--login",
          "--pin", PIN, "--list-objects");
      assertEquals(0, objects.exit(), objects.toString());
      Matcher point = Pattern.compile("EC_POINT:\\s+0441(04[0-9a-f]{128})").matcher(objects.out());
      assertTrue(point.find(), objects.out());
      byte[] uncompressed = java.util.HexFormat.of().parseHex(point.group(1));
      byte[] compressed = new byte[33];
      compressed[0] = (byte) (2 + (uncompressed[64] & 1));
      System.arraycopy(uncompressed, 1, compressed, 1, 32);
      assertEquals(DeviceId.of(dev.popw.identity.KeyType.ECDSA_P256, compressed), id);
      // ... and the private key is sensitive and never extractable, there and when read directly
      assertTrue(objects.out().contains("sensitive, always sensitive, never extractable"), objects.out());
      HardwareKeyStacks.Result export = stack.java(Map.of(), "dev.popw.identity.pkcs11.ExportAttempt", stack.module, "popw", "device", PIN);
      assertEquals(0, export.exit(), export.toString());
      // SoftHSM answers CKR_ATTRIBUTE_SENSITIVE; tpm2-pkcs11 holds no value to give (the TPM has the key) and refuses too.
      assertTrue(export.out().contains("keys=1\nsensitive=true\nextractable=false\nvalue=refused "), export.out());
      assertFalse(export.out().contains("EXPORTED"), export.out());

      // info says where the key is
      HardwareKeyStacks.Result info = stack.java(Map.of(), CLI, "info", "--json", "--config", cfg.toString());
      assertEquals(0, info.exit(), info.toString());
      JsonNode infoJson = JSON.readTree(info.out());
      assertEquals(id.toString(), infoJson.path("device_id").asText());
      assertTrue(infoJson.path("key_storage").asText().startsWith(storagePrefix), info.out());

      // register: the coordinator records the key storage
      HardwareKeyStacks.Result reg = stack.java(Map.of(), CLI, "register", "--owner", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
          "--kind", "sensor", "--config", cfg.toString());
      assertEquals(0, reg.exit(), reg.toString());
      JsonNode device = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + api + "/v1/devices/" + id)).build(), HttpResponse.BodyHandlers.ofString()).body());
      assertEquals(storageKind, device.path("key_storage").asText(), device.toString());
      assertTrue(device.path("key_storage_detail").asText().startsWith(storagePrefix.substring(storagePrefix.indexOf('(') + 1)),
          device.toString());

      // run: the token signs telemetry, the coordinator verifies and accepts it
      Process agent = stack.spawn(Map.of(), tmp.resolve("agent.log"), CLI, "run", "--config", cfg.toString());
      try {
        long deadline = System.currentTimeMillis() + 60_000;
        List<EnvelopeRow> accepted = List.of();
        while (System.currentTimeMillis() < deadline && accepted.size() < 3 && agent.isAlive()) {
          accepted = coordinator.store().envelopes().envelopesOf(id.toString(), 0, 100);
          Thread.sleep(200);
        }
        assertTrue(accepted.size() >= 3, "3 envelopes accepted; agent log: " + Files.readString(tmp.resolve("agent.log")));
        assertEquals(Map.of(), coordinator.store().envelopes().rejectionCounts(id.toString()), "nothing rejected");
        EnvelopeVerifier verifier = EnvelopeVerifier.create();
        for (EnvelopeRow r : accepted) {
          // the stored evidence verifies on its own: P1363, low S, the token's key
          assertEquals(Reason.OK, verifier.verify(coordinator.store().envelopes().envelopeBytes(r.hash()).orElseThrow()).reason());
        }
      } finally {
        agent.destroy();
        agent.waitFor();
      }

      // a wrong PIN and a missing token: one line each, no stack trace
      Path wrongPin = tmp.resolve("wrong-pin");
      Files.writeString(wrongPin, "0000\n");
      HardwareKeyStacks.Result wrong = stack.java(Map.of(), CLI, "info", "--config",
          config("wrong.toml", uri.replace("file:" + pinFile, "file:" + wrongPin), mqtt, api).toString());
      assertEquals(1, wrong.exit(), wrong.toString());
      assertOneLine(wrong, "popw-agent: wrong PIN for PKCS#11 token 'popw' (from file:" + wrongPin + ")");
      HardwareKeyStacks.Result missing = stack.java(Map.of(), CLI, "info", "--config",
          config("missing.toml", uri.replace("token=popw", "token=gone"), mqtt, api).toString());
      assertEquals(1, missing.exit(), missing.toString());
      assertOneLine(missing, "popw-agent: no PKCS#11 token labelled 'gone' in " + stack.module + " (tokens present: 'popw'");
      // the PIN from an environment variable (RFC 7512 has no such source; env: is ours)
      HardwareKeyStacks.Result fromEnv = stack.java(Map.of("DEVICE_PIN", PIN), CLI, "info", "--config",
          config("env.toml", uri.replace("pin-source=file:" + pinFile, "pin-source=env:DEVICE_PIN"), mqtt, api).toString());
      assertEquals(0, fromEnv.exit(), fromEnv.toString());
      // never the PIN itself in the URI
      HardwareKeyStacks.Result inline = stack.java(Map.of(), CLI, "info", "--config",
          config("inline.toml", uri.replace("pin-source=file:" + pinFile, "pin-value=" + PIN), mqtt, api).toString());
      assertEquals(1, inline.exit(), inline.toString());
      assertOneLine(inline, "pin-value in a signer URI is refused");
    }
  }

  private Path config(String name, String signer, int mqtt, int api) throws Exception {
    Path cfg = tmp.resolve(name);
    Files.writeString(cfg, String.join("\n", "network_id = \"popw-test\"", "key_file = \"" + signer + "\"",
        "state_dir = \"" + tmp.resolve("state") + "\"", "kind = \"sensor\"", "[transport]", "url = \"tcp://127.0.0.1:" + mqtt + "\"",
        "[coordinator]", "api_url = \"http://127.0.0.1:" + api + "\"", "[sources.simulated]", "sensor = true", "interval_seconds = 1", ""));
    return cfg;
  }

  /**
   * The agent's message is one line. tpm2-pkcs11 prints its own {@code ERROR:} lines to the same
   * stderr (no setting turns them off); they are the library's, not a stack trace, and are left aside.
   */
  private static void assertOneLine(HardwareKeyStacks.Result r, String expected) {
    String err = r.err().strip().lines().filter(l -> !l.startsWith("ERROR: ")).collect(java.util.stream.Collectors.joining("\n"));
    assertFalse(err.contains("\n"), "one line, got: " + err);
    assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace: " + err);
    assertTrue(err.contains(expected), "expected '" + expected + "' in: " + err);
  }
}
