package dev.popw.coordinator.rewards;

import dev.popw.coordinator.chain.ChainException;
import dev.popw.coordinator.chain.DeviceRegistryContract;
import dev.popw.coordinator.chain.EvmClient;
import dev.popw.coordinator.chain.RewardsContracts;
import dev.popw.identity.DeviceId;
import java.math.BigInteger;
import java.util.Locale;

/** The rewards contracts as the rewards service uses them: stakes and burns read, roots committed. */
public final class RewardsChain {
  private final EvmClient chain;
  private final RewardsContracts contracts;

  public RewardsChain(EvmClient chain, RewardsContracts contracts) {
    this.chain = chain;
    this.contracts = contracts;
  }

  public RewardsContracts contracts() {
    return contracts;
  }

  public EvmClient client() {
    return chain;
  }

  /** Who staked on a device (lower case, null when nobody) and its bonded amount. */
  public Standing standing(String deviceId, String owner, boolean active, boolean consented) {
    RewardsContracts.Stake s = contracts.stakeOf(chain, DeviceRegistryContract.deviceIdOf(DeviceId.parse(deviceId)));
    String staker = s.owner() == null || s.owner().equals("0x0000000000000000000000000000000000000000") ? null
        : s.owner().toLowerCase(Locale.ROOT);
    return new Standing(deviceId, owner, active, consented, staker, s.amount());
  }

  /** Tokens burned for data credits in a token epoch (0 before epoch 0). */
  public BigInteger burned(long tokenEpoch) {
    return tokenEpoch < 0 ? BigInteger.ZERO : contracts.burnedInEpoch(chain, tokenEpoch);
  }

  /** The token's emission for a token epoch, to check the settings against. */
  public BigInteger emission(long tokenEpoch) {
    return contracts.emissionOf(chain, tokenEpoch);
  }

  /**
   * Commits a root; returns the transaction hash.
   *
   * @throws ChainException when the distributor refuses it (its reason in the message) or the chain is down
   */
  public String commit(long tokenEpoch, byte[] root, BigInteger totalOwed) {
    return chain.execute(contracts.distributor(), RewardsContracts.commitRootData(tokenEpoch, root, totalOwed)).getTransactionHash();
  }
}
