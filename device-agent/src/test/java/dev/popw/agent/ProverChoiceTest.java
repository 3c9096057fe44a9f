package dev.popw.agent;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.testing.TestKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sources.gpu.prover: auto falls back to the CPU prover and says why; cuda refuses to start without one; bad values are named. */
class ProverChoiceTest {
  @TempDir Path tmp;

  AgentSettings settings(String prover, Path cuda) throws Exception {
    Path cfg = tmp.resolve("agent.toml");
    Files.writeString(cfg, String.join("\n", "kind = \"gpu\"", "state_dir = \"" + tmp.resolve("state") + "\"", "[coordinator]",
        "key = \"" + TestKeys.COORDINATOR_PUBLIC_KEY + "\"", "[sources.gpu]", "enabled = true", "prover = \"" + prover + "\"",
        "cuda_prover = \"" + cuda + "\"", ""));
    return AgentSettings.load(cfg, Map.of());
  }

  @Test
  void the_choice_and_its_reason_are_clear() throws Exception {
    Path fake = tmp.resolve("popw-gpu-prover");
    Files.writeString(fake, "#!/bin/sh\necho 'error no CUDA device: CUDA driver version is insufficient for CUDA runtime version'\nexit 2\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
    SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    AgentSettings auto = settings("auto", fake);
    try (var r = Agent.proofResponder(auto, signer, Agent.transport(auto))) {
      assertTrue(r.status().startsWith("CPU prover (cpu-java "), r.status());
      assertTrue(r.status().contains("no CUDA prover: " + fake + ": no CUDA device: CUDA driver version is insufficient"), r.status());
    }
    AgentSettings cuda = settings("cuda", fake);
    AgentSettingsException e = assertThrows(AgentSettingsException.class, () -> Agent.proofResponder(cuda, signer, Agent.transport(cuda)));
    assertTrue(e.getMessage().startsWith("sources.gpu.prover = cuda, but there is no CUDA prover: "), e.getMessage());
    AgentSettings bad = settings("gpu", fake);
    assertTrue(assertThrows(AgentSettingsException.class, () -> Agent.proofResponder(bad, signer, Agent.transport(bad))).getMessage()
        .contains("must be auto, cuda or cpu"));
  }
}
