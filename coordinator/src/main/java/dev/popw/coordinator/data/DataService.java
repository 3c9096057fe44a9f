package dev.popw.coordinator.data;

import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.coordinator.chain.ChainException;
import dev.popw.coordinator.chain.RewardsContracts;
import dev.popw.coordinator.epoch.EpochSchedule;
import dev.popw.coordinator.rewards.RewardSettings;
import dev.popw.coordinator.rewards.RewardsChain;
import dev.popw.coordinator.store.CreditStore;
import dev.popw.identity.EvmAddress;
import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The paid data API's accounts (docs/rewards.md, "Data credits"): who a consumer is, what it may
 * still spend (its credits on the DataCredits contract minus what it spent since the last
 * settlement), charging per message served, and settling each closed epoch's spending on-chain.
 */
public final class DataService {
  private static final Logger LOG = LoggerFactory.getLogger(DataService.class);

  private final CreditStore store;
  private final DataSettings settings;
  private final String networkId;
  private final Clock clock;
  private final EpochSchedule schedule;
  private final RewardSettings rewards;
  private final RewardsChain chain; // null: no credits can exist

  public DataService(CreditStore store, DataSettings settings, String networkId, Clock clock, EpochSchedule schedule,
      RewardSettings rewards, RewardsChain chain) {
    this.store = store;
    this.settings = settings;
    this.networkId = networkId;
    this.clock = clock;
    this.schedule = schedule;
    this.rewards = rewards;
    this.chain = chain;
  }

  public DataSettings settings() {
    return settings;
  }

  public boolean free() {
    return settings.creditsPerMessage() == 0;
  }

  /** Refused: the HTTP status and the reason. */
  public static final class Refused extends RuntimeException {
    public final int status;

    public Refused(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** The credit account an Authorization header proves. */
  public String authenticate(String header) {
    try {
      return ConsumerToken.account(header, networkId, clock.millis(), settings.tokenWindow().toMillis());
    } catch (IllegalArgumentException e) {
      throw new Refused(401, e.getMessage());
    }
  }

  /** An account's credits: on-chain, spent and not yet settled, available. */
  public record Balance(String account, BigInteger onChain, long unsettled, BigInteger available) {}

  public Balance balance(String account) {
    if (chain == null) {
      throw new Refused(402, "this coordinator settles on no chain, so no data credits can be bought; ask its operator");
    }
    BigInteger on;
    try {
      on = chain.contracts().creditsOf(chain.client(), account);
    } catch (ChainException e) {
      throw new Refused(503, "cannot read the credits on the chain: " + e.getMessage());
    }
    long unsettled = store.unsettled(account);
    return new Balance(account, on, unsettled, on.subtract(BigInteger.valueOf(unsettled)).max(BigInteger.ZERO));
  }

  /**
   * Charges for up to {@code wanted} messages: returns how many the account can pay for (0 refuses with 402), recorded
   * as spent in the current epoch.
   */
  public synchronized int charge(String account, int wanted) {
    if (free() || wanted == 0) {
      return wanted;
    }
    Balance b = balance(account);
    BigInteger affordable = b.available().divide(BigInteger.valueOf(settings.creditsPerMessage()));
    int n = affordable.min(BigInteger.valueOf(wanted)).intValue();
    if (n == 0) {
      throw new Refused(402, "account " + account + " has " + b.available() + " data credits available (" + b.onChain()
          + " on-chain, " + b.unsettled() + " spent and not yet settled); a message costs " + settings.creditsPerMessage()
          + ". Burn tokens for credits: DataCredits.burnForCredits at " + chain.contracts().credits());
    }
    store.spend(schedule.epochOf(clock.millis()), account, n * settings.creditsPerMessage(), n);
    return n;
  }

  /** Settles every closed epoch's spending (epochs up to {@code lastClosed}) on the DataCredits contract. */
  public void settle(long lastClosed) {
    for (long e : store.unsettledEpochs(lastClosed + 1)) {
      Map<String, Long> spent = store.spentIn(e);
      List<String> accounts = new ArrayList<>(spent.keySet());
      List<BigInteger> amounts = accounts.stream().map(a -> BigInteger.valueOf(spent.get(a))).toList();
      long total = spent.values().stream().mapToLong(Long::longValue).sum();
      byte[] root = accounts.isEmpty() ? new byte[32] : MerkleTree.ofLeaves(accounts.stream()
          .map(a -> MerkleTree.leaf(EvmAddress.parse(a), BigInteger.valueOf(spent.get(a)))).toList()).root();
      long tokenEpoch = rewards.tokenEpoch(schedule.startOf(e), schedule.length().toMillis());
      if (chain == null) {
        store.saveSettlement(new CreditStore.Settlement(e, tokenEpoch, root, total, accounts.size(), "NONE", null, "no chain"));
        continue;
      }
      try {
        String tx = chain.client().execute(chain.contracts().credits(), RewardsContracts.settleCreditsData(tokenEpoch, root, accounts,
            amounts)).getTransactionHash();
        store.saveSettlement(new CreditStore.Settlement(e, tokenEpoch, root, total, accounts.size(), "COMMITTED", tx, null));
        LOG.info("epoch {}: {} data credits of {} accounts settled (tx {})", e, total, accounts.size(), tx);
      } catch (ChainException x) {
        store.saveSettlement(new CreditStore.Settlement(e, tokenEpoch, root, total, accounts.size(), x.retryable() ? "PENDING" : "FAILED",
            null, x.getMessage()));
        LOG.warn("epoch {}: settling data credits failed: {}", e, x.getMessage());
        if (x.retryable()) {
          return;
        }
      }
    }
  }
}
