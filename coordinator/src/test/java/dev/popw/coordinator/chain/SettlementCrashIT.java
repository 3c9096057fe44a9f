package dev.popw.coordinator.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.coordinator.testing.Anvil;
import dev.popw.coordinator.testing.ChildCoordinator;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.Mosquitto;
import dev.popw.testing.SampleTelemetry;
import dev.popw.transport.Acknowledgement;
import dev.popw.transport.TransportListener;
import dev.popw.transport.coap.CoapTransport;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * The coordinator (its own JVM) is killed with SIGKILL after it has broadcast a batch commit and
 * before the commit is mined (anvil's automine is off). After the restart, every batch settles and
 * none is committed twice: one BatchCommitted event per batch and no spare transaction.
 */
class SettlementCrashIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void sigkill_between_sending_a_commit_and_its_confirmation_commits_nothing_twice() throws Exception {
    try (DevChain anvil = Anvil.start(tmp);
        EvmClient admin = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY0), 31337)) {
      Deployment d = Deployment.deploy(admin, admin.address());
      long nonceBefore = admin.minedNonce().longValueExact();
      int apiPort = Mosquitto.freePort();
      int coapPort = ChildCoordinator.freeUdpPort();
      Path config = tmp.resolve("coordinator.toml");
      Files.writeString(config, String.join("\n", "network_id = \"popw-test\"", "coordinator_key_file = \"" + dev.popw.coordinator.testing.TestCoordinatorKey.write(tmp.resolve("coordinator.key")) + "\"", "data_dir = \"" + tmp.resolve("data") + "\"",
          "bind_host = \"127.0.0.1\"", "[mqtt]", "port = -1", "[coap]", "port = " + coapPort, "[api]", "port = " + apiPort,
          "[batch]", "max_envelopes = 20", "max_age_seconds = 1",
          "[chain]", "mode = \"rpc\"", "rpc_url = \"" + anvil.rpcUrl() + "\"", "chain_id = 31337",
          "key_file = \"" + Anvil.keyFile(tmp, Anvil.KEY0) + "\"", "device_registry = \"" + d.deviceRegistry() + "\"",
          "batch_registry = \"" + d.batchRegistry() + "\"", "confirmations = 1", "poll_interval_ms = 100", ""));
      Process coordinator = ChildCoordinator.start(config, apiPort);
      String api = "http://127.0.0.1:" + apiPort;
      try {
        SoftwareSigner device = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
        HttpResponse<String> reg = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api + "/v1/devices"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(Registrations.sign(device,
                EvmAddress.parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC())))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, reg.statusCode(), reg.body());
        ChainFixture.await(() -> "ATTESTED".equals(get(api + "/v1/devices/" + device.deviceId()).path("chain_status").asText()),
            Duration.ofSeconds(30), "the device is attested on-chain");

        Anvil.rpc(anvil.rpcUrl(), "evm_setAutomine", "[false]");
        CoapTransport coap = CoapTransport.builder().uri("coap://127.0.0.1:" + coapPort + "/v1/telemetry").build();
        coap.start(device.deviceId(), dev.popw.testing.TestKeys.coordinatorTrust(), TransportListener.NONE);
        EnvelopeSealer sealer = EnvelopeSealer.builder().signer(device).sequence(new FixedSequence(1)).networkId("popw-test").build();
        List<CompletableFuture<Acknowledgement>> acks = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          SealedEnvelope e = sealer.seal(SampleTelemetry.weather());
          acks.add(coap.send(e.bytes(), e.hash()));
        }
        for (CompletableFuture<Acknowledgement> a : acks) {
          a.get(30, TimeUnit.SECONDS);
        }
        coap.close();

        ChainFixture.await(() -> "SUBMITTED".equals(get(api + "/v1/batches/1").path("status").asText()), Duration.ofSeconds(30),
            "batch 1's commit is broadcast");
        String txBeforeKill = get(api + "/v1/batches/1").path("tx_hash").asText();
        assertEquals(0, admin.minedNonce().longValueExact() - nonceBefore - 1, "only the attestation is mined so far");

        coordinator.destroyForcibly(); // SIGKILL between send and confirmation
        assertTrue(coordinator.waitFor(10, TimeUnit.SECONDS));
        coordinator = ChildCoordinator.start(config, apiPort);
        Thread.sleep(1500); // the restarted coordinator sends the stored transaction again (a no-op for the node)
        assertEquals(BigInteger.ONE, admin.pendingNonce().subtract(admin.minedNonce()), "one commit waits in the pool, not two");

        Anvil.rpc(anvil.rpcUrl(), "evm_setAutomine", "[true]");
        Anvil.rpc(anvil.rpcUrl(), "evm_mine", "[]");
        ChainFixture.await(() -> {
          JsonNode items = get(api + "/v1/batches?limit=1000").path("items");
          if (items.size() < 3) {
            return false;
          }
          for (JsonNode b : items) {
            if (!"CONFIRMED".equals(b.path("status").asText())) {
              return false;
            }
          }
          return true;
        }, Duration.ofSeconds(60), "every batch is confirmed after the restart");

        JsonNode items = get(api + "/v1/batches?limit=1000").path("items");
        assertEquals(txBeforeKill, get(api + "/v1/batches/1").path("tx_hash").asText(), "batch 1 settled by the transaction sent before the kill");
        ProofBatchRegistryContract registry = new ProofBatchRegistryContract(admin, d.batchRegistry());
        int total = 0;
        for (JsonNode b : items) {
          long id = b.path("batch_id").asLong();
          assertEquals(1, registry.commitEvents(admin.address(), id).size(), "batch " + id + " committed exactly once");
          total += b.path("envelope_count").asInt();
        }
        assertEquals(50, total);
        assertEquals(1 + items.size(), admin.minedNonce().longValueExact() - nonceBefore,
            "one attestation and one commit per batch: no transaction was sent twice");
      } finally {
        coordinator.destroy();
        coordinator.waitFor(20, TimeUnit.SECONDS);
      }
    }
  }

  private static JsonNode get(String url) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
          HttpResponse.BodyHandlers.ofString());
      return JSON.readTree(r.body());
    } catch (Exception e) {
      return JSON.createObjectNode();
    }
  }
}
