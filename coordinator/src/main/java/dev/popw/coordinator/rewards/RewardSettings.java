package dev.popw.coordinator.rewards;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code [rewards]}: how an epoch's emission becomes owners' rewards (docs/rewards.md). The
 * emission schedule must be the token's: in dev mode the coordinator deploys the token with these
 * numbers; on another chain it checks them against the token at start.
 *
 * @param enabled compute rewards when an epoch closes
 * @param genesis where token epoch 0 starts (aligned to an epoch start of the coordinator's schedule)
 * @param initialEpochEmission wei emitted per epoch before the first halving
 * @param halvingEpochs token epochs between halvings
 * @param maxRootMultiple the distributor's circuit breaker: an epoch's payout at most this × its emission
 * @param minimumStake wei an owner must stake on a device for it to earn (0: the owner's consent alone)
 * @param poolBps each pool's share of the epoch's emission, in basis points (sum 10,000)
 * @param contracts the rewards contracts on an rpc chain; null: none there (dev mode deploys its own)
 */
public record RewardSettings(boolean enabled, Instant genesis, BigInteger initialEpochEmission, long halvingEpochs,
    long maxRootMultiple, BigInteger minimumStake, Map<Pool, Integer> poolBps, dev.popw.coordinator.chain.RewardsContracts contracts) {

  public static final BigInteger TOKEN = BigInteger.TEN.pow(18);

  public RewardSettings {
    if (initialEpochEmission.signum() < 0 || initialEpochEmission.bitLength() > 120) {
      throw new IllegalArgumentException("rewards.initial_epoch_emission must be between 0 and 10^18 tokens");
    }
    if (halvingEpochs < 1) {
      throw new IllegalArgumentException("rewards.halving_epochs must be at least 1");
    }
    if (maxRootMultiple < 1) {
      throw new IllegalArgumentException("rewards.max_root_multiple must be at least 1");
    }
    if (minimumStake.signum() < 0) {
      throw new IllegalArgumentException("rewards.minimum_stake must not be negative");
    }
    EnumMap<Pool, Integer> m = new EnumMap<>(Pool.class);
    int sum = 0;
    for (Pool p : Pool.values()) {
      Integer v = poolBps.get(p);
      if (v == null || v < 0) {
        throw new IllegalArgumentException("rewards.pools." + p.key() + " is missing or negative");
      }
      m.put(p, v);
      sum += v;
    }
    if (sum != 10_000) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "rewards.pools must add up to 1 (100 %%), not %s",
          BigDecimal.valueOf(sum, 4).stripTrailingZeros().toPlainString()));
    }
    poolBps = java.util.Collections.unmodifiableMap(m);
  }

  /**
   * Defaults: 1,000,000 tokens per epoch from 2026-01-01, halving every 730 epochs (Helium's two
   * years of daily epochs), circuit breaker 5 (Helium's), no minimum stake, pools sensor 25 %,
   * coverage beacons 10 %, coverage witnesses 40 % (Helium's HIP-15 gave witnesses four times the
   * beaconers' share), GPU 25 %.
   */
  public static RewardSettings defaults() {
    return new RewardSettings(true, Instant.parse("2026-01-01T00:00:00Z"), TOKEN.multiply(BigInteger.valueOf(1_000_000)), 730, 5,
        BigInteger.ZERO, Map.of(Pool.SENSOR, 2500, Pool.COVERAGE_BEACON, 1000, Pool.COVERAGE_WITNESS, 4000, Pool.GPU, 2500), null);
  }

  public RewardSettings withGenesis(Instant g) {
    return new RewardSettings(enabled, g, initialEpochEmission, halvingEpochs, maxRootMultiple, minimumStake, poolBps, contracts);
  }

  public RewardSettings withMinimumStake(BigInteger wei) {
    return new RewardSettings(enabled, genesis, initialEpochEmission, halvingEpochs, maxRootMultiple, wei, poolBps, contracts);
  }

  public RewardSettings withEmission(BigInteger wei) {
    return new RewardSettings(enabled, genesis, wei, halvingEpochs, maxRootMultiple, minimumStake, poolBps, contracts);
  }

  public RewardSettings withEnabled(boolean on) {
    return new RewardSettings(on, genesis, initialEpochEmission, halvingEpochs, maxRootMultiple, minimumStake, poolBps, contracts);
  }

  /** The token epoch of a coordinator epoch starting at {@code startMs} lasting {@code lengthMs}; negative before genesis. */
  public long tokenEpoch(long startMs, long lengthMs) {
    return Math.floorDiv(startMs - genesis.toEpochMilli(), lengthMs);
  }

  /** The token's emission for a token epoch: initial >> (epoch / halving); 0 before genesis. */
  public BigInteger emission(long tokenEpoch) {
    if (tokenEpoch < 0) {
      return BigInteger.ZERO;
    }
    long halvings = tokenEpoch / halvingEpochs;
    return halvings >= 128 ? BigInteger.ZERO : initialEpochEmission.shiftRight((int) halvings);
  }

  /** The canonical text of these parameters, hashed with each epoch's rewards. */
  public String canonical() {
    StringBuilder b = new StringBuilder("rewards.v1;genesis=").append(genesis.getEpochSecond())
        .append(";initial_epoch_emission=").append(initialEpochEmission)
        .append(";halving_epochs=").append(halvingEpochs)
        .append(";max_root_multiple=").append(maxRootMultiple)
        .append(";minimum_stake=").append(minimumStake).append(";pools=");
    for (Pool p : Pool.values()) {
      b.append(p.key()).append(':').append(poolBps.get(p)).append(p.ordinal() < Pool.values().length - 1 ? "," : "");
    }
    return b.toString();
  }

  /** Tokens as a decimal string ("1.5") to wei; throws IllegalArgumentException with the setting's name. */
  public static BigInteger tokensToWei(String name, String tokens) {
    try {
      BigDecimal d = new BigDecimal(tokens.trim()).movePointRight(18);
      if (d.signum() < 0) {
        throw new IllegalArgumentException(name + " must not be negative: " + tokens);
      }
      return d.toBigIntegerExact();
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException(name + " is not a token amount with at most 18 decimals: " + tokens);
    }
  }

  /** Wei as a token amount for people ("1.5"). */
  public static String weiToTokens(BigInteger wei) {
    return new BigDecimal(wei, 18).stripTrailingZeros().toPlainString();
  }
}
