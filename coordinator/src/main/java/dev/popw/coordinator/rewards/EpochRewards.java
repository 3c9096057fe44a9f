package dev.popw.coordinator.rewards;

import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.identity.EvmAddress;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * An epoch's rewards: the split of its emission over pools, devices and owners, every owner's
 * cumulative total (the rewards tree's leaves) and the tree's root.
 *
 * <p>{@link #hash()} is SHA-256 of {@link #canonical()}, the rewards' canonical text
 * (docs/rewards.md, "Rewards hash"): one line per pool, device row and owner, the root and the
 * parameters, in a fixed order.
 *
 * @param distributable emission + the previous epoch's burns, capped by the circuit breaker
 * @param poolAmounts wei per pool
 * @param poolUnits eligible micro-units per pool
 * @param devices one row per device and pool, by (device id, pool)
 * @param paid owners paid in this epoch, by address
 * @param owners every owner with a cumulative total above 0 after this epoch, by address: the tree's leaves
 * @param unallocated distributable − paid: empty pools and rounding; not carried over
 * @param totalOwed sum of every owner's cumulative total
 * @param root the rewards tree's root (OpenZeppelin StandardMerkleTree over (address, uint256)); 32 zero bytes when nobody is owed
 */
public record EpochRewards(long epoch, long tokenEpoch, BigInteger emission, BigInteger burnedPrevious, BigInteger distributable,
    Map<Pool, BigInteger> poolAmounts, Map<Pool, Long> poolUnits, List<DeviceReward> devices, List<OwnerReward> paid,
    List<OwnerReward> owners, BigInteger unallocated, BigInteger totalOwed, byte[] root, String parameters) {

  /** The tree over {@link #owners()}; null when nobody is owed. */
  public MerkleTree tree() {
    return treeOf(owners);
  }

  /** The rewards tree over owners' cumulative totals, leaves (owner, cumulative); null for none. */
  public static MerkleTree treeOf(java.util.Collection<OwnerReward> owners) {
    if (owners.isEmpty()) {
      return null;
    }
    return MerkleTree.ofLeaves(owners.stream().map(o -> MerkleTree.leaf(EvmAddress.parse(o.owner()), o.cumulative())).toList());
  }

  /** The canonical text that {@link #hash()} covers. */
  public String canonical() {
    StringBuilder b = new StringBuilder(256 + devices.size() * 160);
    b.append("popw.v1.Rewards\n").append("epoch ").append(epoch).append(" token_epoch ").append(tokenEpoch).append(" emission ")
        .append(emission).append(" burned_previous ").append(burnedPrevious).append(" distributable ").append(distributable).append('\n');
    for (Pool p : Pool.values()) {
      b.append("pool ").append(p.key()).append(' ').append(poolAmounts.get(p)).append(' ').append(poolUnits.get(p)).append('\n');
    }
    for (DeviceReward d : devices) {
      b.append("device ").append(d.deviceId()).append(' ').append(d.pool().key()).append(' ').append(d.owner()).append(' ')
          .append(d.microUnits()).append(' ').append(d.amount()).append(' ').append(d.zeroReason()).append(' ')
          .append(d.explanation().replace('\n', ' ')).append('\n');
    }
    for (OwnerReward o : owners) {
      b.append("owner ").append(o.owner()).append(' ').append(o.cumulative()).append('\n');
    }
    for (OwnerReward o : paid) {
      b.append("paid ").append(o.owner()).append(' ').append(o.amount()).append('\n');
    }
    b.append("unallocated ").append(unallocated).append(" total_owed ").append(totalOwed).append(" root 0x")
        .append(HexFormat.of().formatHex(root)).append('\n').append(parameters).append('\n');
    return b.toString();
  }

  public byte[] hash() {
    try {
      return MessageDigest.getInstance("SHA-256").digest(canonical().getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public BigInteger allocated() {
    return distributable.subtract(unallocated);
  }
}
