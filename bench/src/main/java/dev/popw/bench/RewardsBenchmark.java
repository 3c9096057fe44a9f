package dev.popw.bench;

import dev.popw.coordinator.rewards.EpochRewards;
import dev.popw.coordinator.rewards.Pool;
import dev.popw.coordinator.rewards.RewardInputs;
import dev.popw.coordinator.rewards.RewardSettings;
import dev.popw.coordinator.rewards.RewardsEngine;
import dev.popw.coordinator.rewards.Standing;
import dev.popw.coordinator.rewards.WorkUnits;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code bench/run rewards [DEVICES] [OWNERS]}: the rewards engine on one epoch of a large network
 * (default 1,000,000 devices of 250,000 owners, all four pools, 5 % without consent, previous totals
 * for every owner): CPU time of the split and of the tree, run three times on one thread, and the
 * owner proofs' size. Prints its figures (docs/benchmarks.md, "Rewards engine").
 */
public final class RewardsBenchmark {
  public static void main(String[] args) {
    int devices = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int owners = args.length > 1 ? Integer.parseInt(args[1]) : 250_000;
    Random rnd = new Random(1);
    List<WorkUnits> work = new ArrayList<>(devices + devices / 4);
    Map<String, Standing> standings = new HashMap<>(devices * 2);
    Map<String, BigInteger> previous = new HashMap<>(owners * 2);
    for (int o = 0; o < owners; o++) {
      previous.put(owner(o), BigInteger.valueOf(1_000_000L + rnd.nextInt(1_000_000)).multiply(RewardSettings.TOKEN));
    }
    Pool[] kinds = {Pool.SENSOR, Pool.COVERAGE_BEACON, Pool.GPU};
    for (int d = 0; d < devices; d++) {
      String id = String.format(Locale.ROOT, "did:key:z6Mk%040d", d);
      Pool p = kinds[d % 3];
      if (p == Pool.COVERAGE_BEACON) {
        work.add(new WorkUnits(id, Pool.COVERAGE_BEACON, rnd.nextDouble(), "coverage"));
        work.add(new WorkUnits(id, Pool.COVERAGE_WITNESS, rnd.nextDouble() * 4, "coverage"));
      } else {
        work.add(new WorkUnits(id, p, rnd.nextDouble() * (p == Pool.GPU ? 10 : 1), "work"));
      }
      String o = owner(rnd.nextInt(owners));
      standings.put(id, new Standing(id, o, true, rnd.nextInt(20) != 0, null, BigInteger.ZERO));
    }
    RewardsEngine engine = new RewardsEngine(RewardSettings.defaults());
    RewardInputs in = new RewardInputs(1, 335, RewardSettings.defaults().emission(335), BigInteger.ZERO, work, standings, previous);
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    System.out.printf("rewards engine: %,d devices (%,d pool rows), %,d owners, one thread, %d cores, %s%n", devices, work.size(), owners,
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    for (int run = 1; run <= 3; run++) {
      long c0 = cpu.getCurrentThreadCpuTime();
      long w0 = System.nanoTime();
      EpochRewards r = engine.compute(in);
      long c1 = cpu.getCurrentThreadCpuTime();
      byte[] hash = r.hash();
      long c2 = cpu.getCurrentThreadCpuTime();
      var tree = r.tree();
      int proof = tree.proofOfLeaf(dev.popw.coordinator.batch.MerkleTree.leaf(dev.popw.identity.EvmAddress.parse(r.owners().get(0).owner()),
          r.owners().get(0).cumulative())).size();
      long c3 = cpu.getCurrentThreadCpuTime();
      System.out.printf("  run %d: split + tree %.2f s CPU (%.2f s wall), rewards hash %.2f s, a proof tree again %.2f s; %,d owners paid,"
          + " %s POPW unallocated, proof %d hashes (%d bytes of calldata), hash %s…%n", run, (c1 - c0) / 1e9, (System.nanoTime() - w0) / 1e9,
          (c2 - c1) / 1e9, (c3 - c2) / 1e9, r.paid().size(), RewardSettings.weiToTokens(r.unallocated()), proof, proof * 32,
          java.util.HexFormat.of().formatHex(hash).substring(0, 16));
    }
  }

  static String owner(int o) {
    return String.format(Locale.ROOT, "0x%040x", o + 1);
  }
}
