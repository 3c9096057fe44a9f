package dev.popw.coordinator.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;

/**
 * The compiled contracts, from {@code contracts/build/*.json} (copied onto the classpath by the
 * build). {@code npm --prefix contracts run compile} writes them; a test fails when they are stale.
 */
public final class ContractArtifacts {
  public static final String DEVICE_REGISTRY = "DeviceRegistry";
  public static final String PROOF_BATCH_REGISTRY = "ProofBatchRegistry";
  /** Every contract built from contracts/src, in the order compile.mjs lists them. */
  public static final java.util.List<String> ALL = java.util.List.of(DEVICE_REGISTRY, PROOF_BATCH_REGISTRY, "PopwToken",
      "RewardsDistributor", "DataCredits", "DevPriceFeed", "Staking");

  private ContractArtifacts() {}

  /** The artifact JSON of a contract. */
  public static JsonNode artifact(String name) {
    try (InputStream in = ContractArtifacts.class.getResourceAsStream("/contracts/" + name + ".json")) {
      if (in == null) {
        throw new IllegalStateException("contract artifact " + name + ".json is missing from the coordinator jar");
      }
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read contract artifact " + name + ": " + e.getMessage(), e);
    }
  }

  /** The creation bytecode, 0x-prefixed hex. */
  public static String bytecode(String name) {
    return artifact(name).get("bytecode").asText();
  }
}
