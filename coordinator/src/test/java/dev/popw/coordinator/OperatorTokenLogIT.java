package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.testing.ChildCoordinator;
import dev.popw.coordinator.testing.TestCoordinatorKey;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import dev.popw.testing.Mosquitto;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's own process, with one operator token in a file and one in
 * POPW_OPERATOR_TOKEN, every logger at TRACE (slf4j and the JDK's HTTP server): operator actions
 * are logged with where their token came from, and no token, right or wrong, appears in the log.
 */
class OperatorTokenLogIT {
  private static final String FILE_TOKEN = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
  private static final String ENV_TOKEN = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
  private static final String WRONG_TOKEN = "0a1b2c3d4e5f60718293a4b5c6d7e8f8";
  @TempDir Path tmp;

  @Test
  void operator_actions_are_logged_by_token_source_and_no_token_is_logged() throws Exception {
    int apiPort = Mosquitto.freePort();
    Path tokens = tmp.resolve("operator-tokens");
    Files.writeString(tokens, "# operators of this coordinator\n" + FILE_TOKEN + "\n");
    Path config = tmp.resolve("coordinator.toml");
    Files.writeString(config, String.join("\n", "network_id = \"popw-test\"",
        "coordinator_key_file = \"" + TestCoordinatorKey.write(tmp.resolve("coordinator.key")) + "\"", "data_dir = \"" + tmp.resolve("data") + "\"",
        "[mqtt]", "port = -1", "[coap]", "port = -1", "[api]", "port = " + apiPort, "operator_token_file = \"" + tokens + "\"", ""));
    Path julConfig = tmp.resolve("logging.properties");
    Files.writeString(julConfig, "handlers = java.util.logging.ConsoleHandler\n.level = ALL\njava.util.logging.ConsoleHandler.level = ALL\n");
    Path log = tmp.resolve("coordinator.log");
    Process p = ChildCoordinator.start(config, apiPort, Map.of("POPW_OPERATOR_TOKEN", ENV_TOKEN),
        List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=trace", "-Djava.util.logging.config.file=" + julConfig), log);
    HttpClient http = HttpClient.newHttpClient();
    try {
      String base = "http://127.0.0.1:" + apiPort;
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      HttpResponse<String> reg = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/devices")).POST(HttpRequest.BodyPublishers.ofByteArray(
          Registrations.sign(signer, EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), DeviceKind.SENSOR, null, "popw-test",
              Clock.systemUTC()))).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(201, reg.statusCode(), reg.body());
      String device = base + "/v1/operator/devices/" + URLEncoder.encode(signer.deviceId().toString(), StandardCharsets.UTF_8);
      assertEquals(401, post(http, device + "/deactivate", "Bearer " + WRONG_TOKEN).statusCode());
      assertEquals(401, post(http, device + "/deactivate", null).statusCode());
      assertEquals(200, post(http, device + "/deactivate", "Bearer " + ENV_TOKEN).statusCode());
      assertEquals(200, post(http, device + "/reactivate", "Bearer " + FILE_TOKEN).statusCode());
    } finally {
      p.destroy(); // SIGTERM: the shutdown hook closes the coordinator
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    }
    String out = Files.readString(log);
    assertTrue(out.contains("DEBUG") || out.contains("TRACE") || out.contains("FINE"), "logging at its most verbose: " + out);
    assertTrue(out.contains("operator action from 127.0.0.1 with the token of POPW_OPERATOR_TOKEN: deactivated device "), out);
    assertTrue(out.contains("operator action from 127.0.0.1 with the token of operator-tokens line 2: reactivated device "), out);
    for (String token : List.of(FILE_TOKEN, ENV_TOKEN, WRONG_TOKEN)) {
      assertFalse(out.contains(token), "a token in the log:\n" + out);
    }
  }

  private static HttpResponse<String> post(HttpClient http, String url, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody());
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
