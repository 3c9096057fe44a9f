package dev.popw.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.agent.gpu.NvidiaSmi;
import dev.popw.client.DeviceClient;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.GpuReport;
import dev.popw.testing.ReceivedEnvelope;
import dev.popw.testing.TestCoapServer;
import dev.popw.transport.coap.CoapTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke test: the example's wiring with a stand-in nvidia-smi (two GPUs) and a CoAP server that verifies what arrives. */
class GpuNodeTest {
  @TempDir Path tmp;

  @Test
  void gpu_telemetry_arrives_signed_over_coap() throws Exception {
    Path smi = tmp.resolve("nvidia-smi");
    Files.writeString(smi, "#!/bin/sh\necho 'GPU-11111111-2222-3333-4444-555555555555, NVIDIA RTX A4000, 16376, 900, 12, 41, 35.10, 550.54.14'\n"
        + "echo 'GPU-66666666-7777-8888-9999-000000000000, NVIDIA RTX A4000, 16376, 15000, 99, 77, 139.90, 550.54.14'\n");
    Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwx------"));
    try (TestCoapServer coordinator = TestCoapServer.plain();
        SoftwareSigner key = SoftwareSigner.generate(KeyType.ECDSA_P256, new SecureRandom());
        DeviceClient client = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust()).signer(key)
            .transport(CoapTransport.builder().uri("coap://127.0.0.1:" + coordinator.port() + "/v1/telemetry").build())
            .stateDirectory(tmp.resolve("state")).networkId("popw-devnet").build()) {
      client.submit(new NvidiaSmi(smi.toString()).query()).join();
      assertTrue(client.drain(Duration.ofSeconds(20)), "acknowledged");
      ReceivedEnvelope got = coordinator.received().get(0);
      assertTrue(got.result().isOk(), got.result().reason().toString());
      GpuReport r = got.result().telemetry().orElseThrow().getGpu();
      assertEquals(2, r.getGpusCount());
      assertEquals(99f, r.getGpus(1).getUtilizationPercent());
    }
  }
}
