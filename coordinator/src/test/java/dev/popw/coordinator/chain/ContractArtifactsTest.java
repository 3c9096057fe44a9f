package dev.popw.coordinator.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.popw.coordinator.testing.Anvil;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The checked-in contract artifacts match the Solidity sources (without Node: by the source hash
 * the compile script records; ContractBuildIT recompiles with solc-js), and they define every
 * function and event the coordinator encodes by hand.
 */
class ContractArtifactsTest {
  @Test
  void artifacts_were_built_from_the_current_sources() throws Exception {
    Path src = Anvil.contractsDir().resolve("src");
    StringBuilder listing = new StringBuilder();
    List<Path> files;
    try (Stream<Path> s = Files.list(src)) {
      files = s.filter(p -> p.toString().endsWith(".sol")).sorted().toList();
    }
    for (Path f : files) {
      listing.append("src/").append(f.getFileName()).append('\n')
          .append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)))).append('\n');
    }
    String expected = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(listing.toString().getBytes("UTF-8")));
    for (String name : ContractArtifacts.ALL) {
      assertEquals(expected, ContractArtifacts.artifact(name).get("sourceHash").asText(),
          name + ".json is stale: run 'npm --prefix contracts run compile' and commit contracts/build");
    }
  }

  @Test
  void abi_has_every_function_and_event_the_coordinator_uses() {
    Set<String> proof = signatures(ContractArtifacts.artifact(ContractArtifacts.PROOF_BATCH_REGISTRY));
    assertTrue(proof.containsAll(List.of("commit(uint64,bytes32,uint32,uint64,bytes32)", "rootOf(address,uint64)",
        "verifyEnvelope(address,uint64,bytes32,bytes32[])", "verifyLeaf(address,uint64,bytes32,bytes32[])",
        "setCoordinator(address,bool)", "isCoordinator(address)",
        "BatchCommitted(address,uint64,bytes32,uint32,uint64,bytes32)")), proof.toString());
    Set<String> devices = signatures(ContractArtifacts.artifact(ContractArtifacts.DEVICE_REGISTRY));
    assertTrue(devices.containsAll(List.of("registerAttested(bytes32,uint8,address,uint8)",
        "registerSelfSigned(bytes,address,uint8,bytes)", "transferDevice(bytes32,address)", "deactivate(bytes32)",
        "deviceOf(bytes32)", "nonces(bytes32)", "registrationDigest(bytes32,address,uint8,uint256)")), devices.toString());
    assertTrue(ContractArtifacts.bytecode(ContractArtifacts.PROOF_BATCH_REGISTRY).matches("0x[0-9a-f]{1000,}"));
  }

  private static Set<String> signatures(JsonNode artifact) {
    Set<String> out = new HashSet<>();
    for (JsonNode e : artifact.get("abi")) {
      if (!e.has("name")) {
        continue;
      }
      StringBuilder sb = new StringBuilder(e.get("name").asText()).append('(');
      for (JsonNode in : e.get("inputs")) {
        sb.append(sb.charAt(sb.length() - 1) == '(' ? "" : ",").append(in.get("type").asText());
      }
      out.add(sb.append(')').toString());
    }
    return out;
  }
}
