package dev.popw.coordinator.rewards;

import dev.popw.coordinator.validation.CoverageSummary;
import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.WorkKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns an epoch's work into rewards: a pure function of its {@link RewardInputs} and the
 * {@link RewardSettings} (docs/rewards.md, "The rewards engine").
 *
 * <ol>
 *   <li>distributable = emission + the previous epoch's burns, at most {@code max_root_multiple} × emission;
 *   <li>pool p gets ⌊distributable × share_p / 10,000⌋;
 *   <li>a device's units in a pool count when it is active, its owner consented (EIP-712 signature or the
 *       owner's own stake) and its stake is at least the minimum; units are taken in millionths
 *       (⌊units × 10^6 + 0.5⌋), so the split is exact integer arithmetic;
 *   <li>owner o gets Σ_p ⌊pool_p × U_{o,p} / U_p⌋ (rounded down once per owner and pool); each device's
 *       row shows its own exact share rounded down; what is left is unallocated;
 *   <li>cumulative_o = previous_o + amount_o; the tree's leaves are (o, cumulative_o).
 * </ol>
 */
public final class RewardsEngine {
  private final RewardSettings settings;

  public RewardsEngine(RewardSettings settings) {
    this.settings = settings;
  }

  public RewardSettings settings() {
    return settings;
  }

  /**
   * The work units of an epoch from its summaries: sensor and GPU summaries' units, coverage split into
   * the beacon and witness pools from the coverage summaries (already scaled by hex density).
   */
  public static List<WorkUnits> workOf(List<DeviceEpochSummary> summaries, List<CoverageSummary> coverage) {
    List<WorkUnits> out = new ArrayList<>();
    Map<String, CoverageSummary> cov = new HashMap<>();
    for (CoverageSummary c : coverage) {
      cov.put(c.deviceId(), c);
    }
    for (DeviceEpochSummary s : summaries) {
      if (s.kind() == WorkKind.COVERAGE) {
        CoverageSummary c = cov.get(s.deviceId());
        double b = c == null ? 0 : c.beaconUnits();
        double w = c == null ? 0 : c.witnessUnits();
        String why = s.explanation();
        out.add(new WorkUnits(s.deviceId(), Pool.COVERAGE_BEACON, b, why));
        out.add(new WorkUnits(s.deviceId(), Pool.COVERAGE_WITNESS, w, why));
      } else {
        out.add(new WorkUnits(s.deviceId(), s.kind() == WorkKind.SENSOR ? Pool.SENSOR : Pool.GPU, s.units(), s.explanation()));
      }
    }
    return out;
  }

  /** Millionths of a unit, rounded half up; negative, NaN and infinite units count 0. */
  static long micro(double units) {
    if (!(units > 0) || Double.isInfinite(units)) {
      return 0;
    }
    return (long) Math.floor(units * 1e6 + 0.5);
  }

  public EpochRewards compute(RewardInputs in) {
    BigInteger emission = in.emission();
    BigInteger cap = emission.multiply(BigInteger.valueOf(settings.maxRootMultiple()));
    BigInteger distributable = emission.add(in.burnedPrevious()).min(cap);

    Map<Pool, BigInteger> poolAmount = new EnumMap<>(Pool.class);
    for (Pool p : Pool.values()) {
      poolAmount.put(p, distributable.multiply(BigInteger.valueOf(settings.poolBps().get(p))).divide(BigInteger.valueOf(10_000)));
    }

    // decide each (device, pool) row's eligibility; sum eligible units per pool
    List<WorkUnits> work = new ArrayList<>(in.work());
    work.sort(Comparator.comparing(WorkUnits::deviceId).thenComparing(WorkUnits::pool));
    Map<Pool, Long> poolUnits = new EnumMap<>(Pool.class);
    for (Pool p : Pool.values()) {
      poolUnits.put(p, 0L);
    }
    List<Row> rows = new ArrayList<>(work.size());
    for (WorkUnits w : work) {
      Standing s = in.standings().getOrDefault(w.deviceId(), new Standing(w.deviceId(), null, false, false, null, BigInteger.ZERO));
      long u = micro(w.units());
      ZeroReason z = null;
      String why;
      if (u == 0) {
        z = ZeroReason.NO_VALID_WORK;
        why = "no reward units in the " + w.pool().key() + " pool: " + w.explanation();
      } else if (!s.active()) {
        z = ZeroReason.INACTIVE;
        why = "deactivated by the operator when the epoch closed";
      } else if (s.owner() == null) {
        z = ZeroReason.NO_OWNER;
        why = "the registry names no owner";
      } else if (!s.consented() && !s.stakedByOwner()) {
        z = ZeroReason.NO_OWNER_CONSENT;
        why = s.stakeOwner() != null
            ? "staked by " + s.stakeOwner() + ", not by its owner " + s.owner() + ", and the owner has not signed its consent"
            : "its owner " + s.owner() + " has neither signed its consent (EIP-712) nor staked on it";
      } else if (settings.minimumStake().signum() > 0 && (!s.stakedByOwner() || s.stake().compareTo(settings.minimumStake()) < 0)) {
        z = ZeroReason.NOT_STAKED;
        why = String.format(Locale.ROOT, "stake %s POPW%s is below the minimum %s POPW", RewardSettings.weiToTokens(s.stake()),
            s.stakeOwner() != null && !s.stakedByOwner() ? " (by " + s.stakeOwner() + ", not the owner)" : "",
            RewardSettings.weiToTokens(settings.minimumStake()));
      } else if (poolAmount.get(w.pool()).signum() == 0) {
        z = ZeroReason.NO_EMISSION;
        why = "the " + w.pool().key() + " pool emits nothing in token epoch " + in.tokenEpoch();
      } else {
        why = null;
        poolUnits.merge(w.pool(), u, Long::sum);
      }
      rows.add(new Row(w, s, u, z, why));
    }

    // split: per owner and pool rounded down; device rows show their own exact share
    Map<String, BigInteger> ownerAmount = new TreeMap<>();
    Map<String, Map<Pool, Long>> ownerUnits = new TreeMap<>();
    for (Row r : rows) {
      if (r.zero == null) {
        ownerUnits.computeIfAbsent(r.standing.owner(), k -> new EnumMap<>(Pool.class)).merge(r.work.pool(), r.micro, Long::sum);
      }
    }
    BigInteger paidTotal = BigInteger.ZERO;
    for (Map.Entry<String, Map<Pool, Long>> e : ownerUnits.entrySet()) {
      BigInteger sum = BigInteger.ZERO;
      for (Map.Entry<Pool, Long> pu : e.getValue().entrySet()) {
        sum = sum.add(share(poolAmount.get(pu.getKey()), pu.getValue(), poolUnits.get(pu.getKey())));
      }
      ownerAmount.put(e.getKey(), sum);
      paidTotal = paidTotal.add(sum);
    }
    List<DeviceReward> devices = new ArrayList<>(rows.size());
    for (Row r : rows) {
      Pool p = r.work.pool();
      if (r.zero != null) {
        devices.add(new DeviceReward(r.work.deviceId(), p, r.standing.owner(), r.micro, BigInteger.ZERO, r.zero, r.why));
        continue;
      }
      BigInteger amount = share(poolAmount.get(p), r.micro, poolUnits.get(p));
      String why = String.format(Locale.ROOT, "%s of the %s eligible units in the %s pool of %s POPW = %s POPW; %s",
          units(r.micro), units(poolUnits.get(p)), p.key(), RewardSettings.weiToTokens(poolAmount.get(p)),
          RewardSettings.weiToTokens(amount), r.work.explanation());
      devices.add(new DeviceReward(r.work.deviceId(), p, r.standing.owner(), r.micro, amount,
          amount.signum() == 0 ? ZeroReason.ROUNDED_TO_ZERO : null, why));
    }

    // cumulative totals: every owner owed anything, paid now or before
    Map<String, BigInteger> cumulative = new TreeMap<>();
    in.previousCumulative().forEach((o, v) -> {
      if (v.signum() > 0) {
        cumulative.put(o.toLowerCase(Locale.ROOT), v);
      }
    });
    List<OwnerReward> paid = new ArrayList<>();
    for (Map.Entry<String, BigInteger> e : ownerAmount.entrySet()) {
      if (e.getValue().signum() > 0) {
        BigInteger c = cumulative.getOrDefault(e.getKey(), BigInteger.ZERO).add(e.getValue());
        cumulative.put(e.getKey(), c);
        paid.add(new OwnerReward(e.getKey(), e.getValue(), c));
      }
    }
    List<OwnerReward> owners = new ArrayList<>(cumulative.size());
    BigInteger totalOwed = BigInteger.ZERO;
    for (Map.Entry<String, BigInteger> e : cumulative.entrySet()) {
      owners.add(new OwnerReward(e.getKey(), ownerAmount.getOrDefault(e.getKey(), BigInteger.ZERO), e.getValue()));
      totalOwed = totalOwed.add(e.getValue());
    }
    EpochRewards partial = new EpochRewards(in.epoch(), in.tokenEpoch(), emission, in.burnedPrevious(), distributable, poolAmount,
        poolUnits, List.copyOf(devices), List.copyOf(paid), List.copyOf(owners), distributable.subtract(paidTotal), totalOwed,
        new byte[32], settings.canonical());
    var tree = partial.tree();
    if (tree == null) {
      return partial;
    }
    return new EpochRewards(in.epoch(), in.tokenEpoch(), emission, in.burnedPrevious(), distributable, poolAmount, poolUnits,
        partial.devices(), partial.paid(), partial.owners(), partial.unallocated(), totalOwed, tree.root(), settings.canonical());
  }

  private static BigInteger share(BigInteger pool, long units, long total) {
    if (total == 0 || units == 0) {
      return BigInteger.ZERO;
    }
    return pool.multiply(BigInteger.valueOf(units)).divide(BigInteger.valueOf(total));
  }

  private static String units(long micro) {
    return BigDecimal.valueOf(micro, 6).setScale(6, RoundingMode.UNNECESSARY).toPlainString();
  }

  private record Row(WorkUnits work, Standing standing, long micro, ZeroReason zero, String why) {}
}
