package dev.popw.coordinator.rewards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popw.coordinator.chain.ChainException;
import dev.popw.coordinator.chain.EvmClient;
import dev.popw.coordinator.chain.RewardsContracts;
import dev.popw.coordinator.epoch.EpochSchedule;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/** The rewards contracts a dev-mode coordinator deployed, kept in {@code devchain/rewards-deployment.json}. */
public final class RewardsDeployment {
  private RewardsDeployment() {}

  /** The contracts in {@code file} if they are on the chain, else newly deployed with the settings' schedule (and written there). */
  public static RewardsContracts loadOrDeploy(EvmClient chain, Path file, RewardSettings s, EpochSchedule schedule) {
    Optional<RewardsContracts> known = read(file).filter(r -> !"0x".equals(chain.code(r.token())) && !"0x".equals(chain.code(r.distributor())));
    if (known.isPresent()) {
      return known.get();
    }
    RewardsContracts.Parameters p = RewardsContracts.Parameters.defaults(s.genesis().getEpochSecond());
    p = new RewardsContracts.Parameters(p.genesis(), Math.max(1, schedule.length().toSeconds()), s.initialEpochEmission(),
        s.halvingEpochs(), s.maxRootMultiple(), p.unbondingDelaySeconds(), p.slashBps(), p.bountyBps(), p.maxPriceAgeSeconds(),
        p.initialPrice());
    RewardsContracts r = RewardsContracts.deploy(chain, chain.address(), p);
    write(file, r);
    return r;
  }

  public static Optional<RewardsContracts> read(Path file) {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      JsonNode n = new ObjectMapper().readTree(file.toFile());
      return Optional.of(new RewardsContracts(n.get("token").asText(), n.get("distributor").asText(), n.get("credits").asText(),
          n.get("price_feed").asText(), n.get("staking").asText()));
    } catch (IOException | NullPointerException e) {
      throw new ChainException("cannot read " + file + ": " + e.getMessage(), e, false);
    }
  }

  public static void write(Path file, RewardsContracts r) {
    ObjectMapper m = new ObjectMapper();
    ObjectNode n = m.createObjectNode();
    n.put("token", r.token());
    n.put("distributor", r.distributor());
    n.put("credits", r.credits());
    n.put("price_feed", r.priceFeed());
    n.put("staking", r.staking());
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, m.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new ChainException("cannot write " + file + ": " + e.getMessage(), e, false);
    }
  }

  /** Unused amounts in wei of a token amount, for callers that print. */
  static BigInteger wei(String tokens) {
    return RewardSettings.tokensToWei("amount", tokens);
  }
}
