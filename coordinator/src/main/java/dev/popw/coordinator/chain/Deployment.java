package dev.popw.coordinator.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** Where the contracts live on a chain, and how to put them there. */
public record Deployment(long chainId, String deviceRegistry, String batchRegistry, long deployedAtBlock) {
  private static final Logger LOG = LoggerFactory.getLogger(Deployment.class);

  /**
   * Deploys DeviceRegistry and ProofBatchRegistry with the client's account as admin and
   * authorizes {@code coordinator} (often the same account) on both.
   */
  public static Deployment deploy(EvmClient chain, String coordinator) {
    TransactionReceipt d = chain.execute(null, DeviceRegistryContract.deployData(chain.address()));
    TransactionReceipt b = chain.execute(null, ProofBatchRegistryContract.deployData(chain.address()));
    String setData = ProofBatchRegistryContract.setCoordinatorData(coordinator, true);
    chain.execute(d.getContractAddress(), setData);
    chain.execute(b.getContractAddress(), setData);
    LOG.info("deployed DeviceRegistry at {} and ProofBatchRegistry at {} on chain {}; coordinator {} authorized",
        d.getContractAddress(), b.getContractAddress(), chain.chainId(), coordinator);
    return new Deployment(chain.chainId(), d.getContractAddress(), b.getContractAddress(), d.getBlockNumber().longValueExact());
  }

  /** True when both addresses hold code on the client's chain. */
  public boolean presentOn(EvmClient chain) {
    return chain.chainId() == chainId && !"0x".equals(chain.code(deviceRegistry)) && !"0x".equals(chain.code(batchRegistry));
  }

  public static Optional<Deployment> read(Path file) {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      JsonNode n = new ObjectMapper().readTree(file.toFile());
      return Optional.of(new Deployment(n.get("chain_id").asLong(), n.get("device_registry").asText(),
          n.get("batch_registry").asText(), n.path("deployed_at_block").asLong()));
    } catch (IOException | NullPointerException e) {
      throw new ChainException("cannot read deployment file " + file + ": " + e.getMessage(), e, false);
    }
  }

  /** Writes the deployment as JSON (atomically). */
  public void write(Path file) {
    ObjectMapper m = new ObjectMapper();
    ObjectNode n = m.createObjectNode();
    n.put("chain_id", chainId);
    n.put("device_registry", deviceRegistry);
    n.put("batch_registry", batchRegistry);
    n.put("deployed_at_block", deployedAtBlock);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, m.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new ChainException("cannot write deployment file " + file + ": " + e.getMessage(), e, false);
    }
  }
}
