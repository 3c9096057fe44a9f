package dev.popw.coordinator.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.identity.EvmAddress;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The rewards engine against an epoch computed by hand (the numbers are worked out in the comments). */
class RewardsEngineTest {
  static final String A = "0x00000000000000000000000000000000000000aa";
  static final String B = "0x00000000000000000000000000000000000000bb";
  static final String C = "0x00000000000000000000000000000000000000cc";
  static final String D = "0x00000000000000000000000000000000000000dd";

  static RewardSettings settings(BigInteger emission, BigInteger minimumStake) {
    return new RewardSettings(true, Instant.parse("2026-01-01T00:00:00Z"), emission, 730, 5, minimumStake,
        Map.of(Pool.SENSOR, 2500, Pool.COVERAGE_BEACON, 1000, Pool.COVERAGE_WITNESS, 4000, Pool.GPU, 2500), null);
  }

  static Standing consented(String device, String owner) {
    return new Standing(device, owner, true, true, null, BigInteger.ZERO);
  }

  /** Three owners, all four pools, a zero for each of three reasons, rounding, previous totals. */
  static RewardInputs handEpoch() {
    List<WorkUnits> work = List.of(
        new WorkUnits("s1", Pool.SENSOR, 0.9, "sensor s1"),
        new WorkUnits("s2", Pool.SENSOR, 0.6, "sensor s2"),
        new WorkUnits("s3", Pool.SENSOR, 0.75, "sensor s3"),
        new WorkUnits("c1", Pool.COVERAGE_BEACON, 1.0, "cov c1"),
        new WorkUnits("c1", Pool.COVERAGE_WITNESS, 2.5, "cov c1"),
        new WorkUnits("c2", Pool.COVERAGE_BEACON, 0.5, "cov c2"),
        new WorkUnits("c2", Pool.COVERAGE_WITNESS, 0.0, "0 of 3 witnesses valid"),
        new WorkUnits("g1", Pool.GPU, 10.0, "gpu g1"),
        new WorkUnits("g2", Pool.GPU, 5.0, "gpu g2"));
    Map<String, Standing> st = new HashMap<>();
    st.put("s1", consented("s1", A));
    st.put("s2", consented("s2", B));
    st.put("s3", new Standing("s3", C, true, false, null, BigInteger.ZERO)); // C never consented to s3
    st.put("c1", consented("c1", A));
    st.put("c2", consented("c2", C));
    st.put("g1", new Standing("g1", B, true, false, B, BigInteger.TEN)); // consent by B's own stake
    st.put("g2", new Standing("g2", C, false, true, null, BigInteger.ZERO)); // deactivated
    return new RewardInputs(20_000, 335, BigInteger.valueOf(1_000_003), BigInteger.ZERO, work, st,
        Map.of(A, BigInteger.TEN, D, BigInteger.valueOf(5)));
  }

  @Test
  void handComputedEpoch() {
    EpochRewards r = new RewardsEngine(settings(BigInteger.valueOf(1_000_003), BigInteger.ZERO)).compute(handEpoch());
    // pools: ⌊1,000,003 × share⌋ = 250,000 / 100,000 / 400,001 / 250,000 (2 wei lost to rounding)
    assertEquals(BigInteger.valueOf(250_000), r.poolAmounts().get(Pool.SENSOR));
    assertEquals(BigInteger.valueOf(100_000), r.poolAmounts().get(Pool.COVERAGE_BEACON));
    assertEquals(BigInteger.valueOf(400_001), r.poolAmounts().get(Pool.COVERAGE_WITNESS));
    assertEquals(BigInteger.valueOf(250_000), r.poolAmounts().get(Pool.GPU));
    // eligible micro-units: sensor 0.9 + 0.6 (s3 lacks consent); beacon 1.0 + 0.5; witness 2.5; gpu 10 (g2 inactive)
    assertEquals(1_500_000L, r.poolUnits().get(Pool.SENSOR));
    assertEquals(1_500_000L, r.poolUnits().get(Pool.COVERAGE_BEACON));
    assertEquals(2_500_000L, r.poolUnits().get(Pool.COVERAGE_WITNESS));
    assertEquals(10_000_000L, r.poolUnits().get(Pool.GPU));
    // A: 250,000×0.9/1.5 = 150,000; + ⌊100,000×1/1.5⌋ = 66,666; + 400,001 (alone in witnesses) = 616,667
    // B: 250,000×0.6/1.5 = 100,000; + 250,000 (alone in GPU) = 350,000
    // C: ⌊100,000×0.5/1.5⌋ = 33,333
    Map<String, BigInteger> paid = new HashMap<>();
    r.paid().forEach(o -> paid.put(o.owner(), o.amount()));
    assertEquals(Map.of(A, BigInteger.valueOf(616_667), B, BigInteger.valueOf(350_000), C, BigInteger.valueOf(33_333)), paid);
    // unallocated: 1,000,003 − 1,000,000 = 3 (2 from the pool split, 1 from C's beacon share)
    assertEquals(BigInteger.valueOf(3), r.unallocated());
    // cumulative: A had 10, D had 5 and earns nothing now but stays in the tree
    Map<String, BigInteger> cum = new HashMap<>();
    r.owners().forEach(o -> cum.put(o.owner(), o.cumulative()));
    assertEquals(Map.of(A, BigInteger.valueOf(616_677), B, BigInteger.valueOf(350_000), C, BigInteger.valueOf(33_333), D,
        BigInteger.valueOf(5)), cum);
    assertEquals(BigInteger.valueOf(1_000_015), r.totalOwed());
    // the zeros, each with its reason
    assertEquals(ZeroReason.NO_OWNER_CONSENT, row(r, "s3", Pool.SENSOR).zeroReason());
    assertTrue(row(r, "s3", Pool.SENSOR).explanation().contains(C), row(r, "s3", Pool.SENSOR).explanation());
    assertEquals(ZeroReason.INACTIVE, row(r, "g2", Pool.GPU).zeroReason());
    assertEquals(ZeroReason.NO_VALID_WORK, row(r, "c2", Pool.COVERAGE_WITNESS).zeroReason());
    assertTrue(row(r, "c2", Pool.COVERAGE_WITNESS).explanation().contains("0 of 3 witnesses valid"));
    assertNull(row(r, "g1", Pool.GPU).zeroReason());
    assertEquals(BigInteger.valueOf(66_666), row(r, "c1", Pool.COVERAGE_BEACON).amount());
    assertTrue(row(r, "c1", Pool.COVERAGE_BEACON).explanation().startsWith("1.000000 of the 1.500000 eligible units in the coverage_beacon"),
        row(r, "c1", Pool.COVERAGE_BEACON).explanation());
    // the root is the StandardMerkleTree root of the four (owner, cumulative) leaves, and each proof verifies
    List<byte[]> leaves = new ArrayList<>();
    for (String o : List.of(A, B, C, D)) {
      leaves.add(MerkleTree.leaf(EvmAddress.parse(o), cum.get(o)));
    }
    MerkleTree t = MerkleTree.ofLeaves(leaves);
    assertArrayEquals(t.root(), r.root());
    for (byte[] leaf : leaves) {
      assertTrue(MerkleTree.verifyLeaf(r.tree().proofOfLeaf(leaf), r.root(), leaf));
    }
  }

  @Test
  void sameInputsInAnyOrderGiveTheSameRewards() {
    RewardsEngine e = new RewardsEngine(settings(BigInteger.valueOf(1_000_003), BigInteger.ZERO));
    RewardInputs in = handEpoch();
    byte[] hash = e.compute(in).hash();
    Random rnd = new Random(7);
    for (int i = 0; i < 20; i++) {
      List<WorkUnits> w = new ArrayList<>(in.work());
      Collections.shuffle(w, rnd);
      RewardInputs shuffled = new RewardInputs(in.epoch(), in.tokenEpoch(), in.emission(), in.burnedPrevious(), w,
          new HashMap<>(in.standings()), new HashMap<>(in.previousCumulative()));
      assertArrayEquals(hash, e.compute(shuffled).hash());
    }
  }

  @Test
  void minimumStakeNeedsTheOwnersOwnStake() {
    BigInteger min = BigInteger.valueOf(100);
    RewardsEngine e = new RewardsEngine(settings(BigInteger.valueOf(1_000), min));
    Map<String, Standing> st = Map.of(
        "a", new Standing("a", A, true, true, A, BigInteger.valueOf(100)), // exactly the minimum: earns
        "b", new Standing("b", B, true, true, B, BigInteger.valueOf(99)), // below
        "c", new Standing("c", C, true, true, D, BigInteger.valueOf(1000))); // consented, but the stake is D's
    List<WorkUnits> work = List.of(new WorkUnits("a", Pool.SENSOR, 1, ""), new WorkUnits("b", Pool.SENSOR, 1, ""),
        new WorkUnits("c", Pool.SENSOR, 1, ""));
    EpochRewards r = e.compute(new RewardInputs(1, 0, BigInteger.valueOf(1_000), BigInteger.ZERO, work, st, Map.of()));
    assertNull(row(r, "a", Pool.SENSOR).zeroReason());
    assertEquals(BigInteger.valueOf(250), row(r, "a", Pool.SENSOR).amount()); // alone in a 250-wei pool
    assertEquals(ZeroReason.NOT_STAKED, row(r, "b", Pool.SENSOR).zeroReason());
    assertTrue(row(r, "b", Pool.SENSOR).explanation().contains("below the minimum"));
    assertEquals(ZeroReason.NOT_STAKED, row(r, "c", Pool.SENSOR).zeroReason());
    assertTrue(row(r, "c", Pool.SENSOR).explanation().contains("not the owner"), row(r, "c", Pool.SENSOR).explanation());
    assertEquals(BigInteger.valueOf(750), r.unallocated());
  }

  @Test
  void aShareBelowOneWeiIsRoundedToZeroAndReported() {
    RewardsEngine e = new RewardsEngine(settings(BigInteger.valueOf(4), BigInteger.ZERO)); // sensor pool: 1 wei
    Map<String, Standing> st = Map.of("big", consented("big", A), "tiny", consented("tiny", B));
    List<WorkUnits> work = List.of(new WorkUnits("big", Pool.SENSOR, 1000, ""), new WorkUnits("tiny", Pool.SENSOR, 0.000001, ""));
    EpochRewards r = e.compute(new RewardInputs(1, 0, BigInteger.valueOf(4), BigInteger.ZERO, work, st, Map.of()));
    assertEquals(ZeroReason.ROUNDED_TO_ZERO, row(r, "tiny", Pool.SENSOR).zeroReason());
    assertEquals(BigInteger.ZERO, row(r, "big", Pool.SENSOR).amount()); // ⌊1 × 1000/1000.000001⌋ = 0
    assertEquals(BigInteger.valueOf(4), r.unallocated());
    assertTrue(r.owners().isEmpty());
    assertArrayEquals(new byte[32], r.root());
  }

  @Test
  void burnsAreReEmittedUpToTheCircuitBreaker() {
    RewardsEngine e = new RewardsEngine(settings(BigInteger.valueOf(1_000), BigInteger.ZERO));
    RewardInputs some = new RewardInputs(1, 0, BigInteger.valueOf(1_000), BigInteger.valueOf(300), List.of(), Map.of(), Map.of());
    assertEquals(BigInteger.valueOf(1_300), e.compute(some).distributable());
    RewardInputs huge = new RewardInputs(1, 0, BigInteger.valueOf(1_000), BigInteger.valueOf(1_000_000), List.of(), Map.of(), Map.of());
    assertEquals(BigInteger.valueOf(5_000), e.compute(huge).distributable()); // 5 × emission
  }

  @Test
  void emissionHalvesOnTheTokensSchedule() {
    RewardSettings s = RewardSettings.defaults();
    BigInteger initial = s.initialEpochEmission();
    assertEquals(BigInteger.ZERO, s.emission(-1));
    assertEquals(initial, s.emission(0));
    assertEquals(initial, s.emission(729));
    assertEquals(initial.shiftRight(1), s.emission(730));
    assertEquals(initial.shiftRight(3), s.emission(3 * 730 + 5));
    long day = 86_400_000L;
    assertEquals(0, s.tokenEpoch(s.genesis().toEpochMilli(), day));
    assertEquals(-1, s.tokenEpoch(s.genesis().toEpochMilli() - 1, day));
    assertEquals(335, s.tokenEpoch(Instant.parse("2026-12-02T00:00:00Z").toEpochMilli(), day));
  }

  static DeviceReward row(EpochRewards r, String device, Pool pool) {
    return r.devices().stream().filter(d -> d.deviceId().equals(device) && d.pool() == pool).findFirst().orElseThrow();
  }
}
