package dev.popw.coordinator.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.coordinator.testing.Anvil;
import dev.popw.identity.EvmAddress;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * Gas of the rewards distributor with 1,000,000 owners in the tree (proofs of 20 siblings), from
 * real transaction receipts on anvil: root commits, a first and a repeat claim, and claims
 * batched for 100 owners with one multiproof. Writes coordinator/target/rewards-gas-report.md
 * (copied into docs/benchmarks.md) and checks the targets of issue 16.
 */
class RewardsGasIT {
  static final int OWNERS = 1_000_000;
  static final int BATCH = 100;
  static final BigInteger TOKEN = BigInteger.TEN.pow(18);
  @TempDir Path tmp;

  /** Owner i's address: deterministic, distinct. */
  static String owner(int i) {
    return String.format("0x%040x", BigInteger.valueOf(i + 1).multiply(BigInteger.valueOf(0x9e3779b97f4a7c15L)).add(BigInteger.ONE.shiftLeft(150)));
  }

  /** A tree where owner i is owed base[i] + bonus for the owners in {@code raised}. */
  static MerkleTree tree(BigInteger[] owed) {
    List<byte[]> leaves = new ArrayList<>(OWNERS);
    for (int i = 0; i < OWNERS; i++) {
      leaves.add(MerkleTree.leaf(EvmAddress.parse(owner(i)), owed[i]));
    }
    return MerkleTree.ofLeaves(leaves);
  }

  static BigInteger sum(BigInteger[] owed) {
    BigInteger s = BigInteger.ZERO;
    for (BigInteger b : owed) {
      s = s.add(b);
    }
    return s;
  }

  @Test
  void claims_and_root_commits_with_a_million_owners() throws Exception {
    try (DevChain anvil = Anvil.start(tmp);
        EvmClient admin = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY0), 31337);
        EvmClient relayer = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY1), 31337)) {
      RewardsContracts c = RewardsContracts.deploy(admin, admin.address(), RewardsContracts.Parameters.defaults(
          System.currentTimeMillis() / 1000 - 40 * 86_400));
      Random rnd = new Random(7);
      BigInteger[] owed = new BigInteger[OWNERS];
      for (int i = 0; i < OWNERS; i++) {
        owed[i] = BigInteger.valueOf(1 + rnd.nextInt(1_000_000)).multiply(BigInteger.TEN.pow(12)); // up to 1 token each
      }
      long t0 = System.nanoTime();
      MerkleTree t1 = tree(owed);
      long treeMs = (System.nanoTime() - t0) / 1_000_000;
      // The owners measured: a single claimer and a batch, all with proofs of 20 siblings.
      List<Integer> measured = new ArrayList<>();
      for (int i = 0; measured.size() < BATCH + 1; i += 4_999) {
        if (t1.proofOfLeaf(MerkleTree.leaf(EvmAddress.parse(owner(i)), owed[i])).size() == 20) {
          measured.add(i);
        }
      }
      int single = measured.get(0);
      List<Integer> batch = measured.subList(1, BATCH + 1);

      TransactionReceipt commit1 = admin.execute(c.distributor(), RewardsContracts.commitRootData(1, t1.root(), sum(owed)));
      TransactionReceipt first = relayer.execute(c.token(), RewardsContracts.claimData(owner(single), owed[single],
          t1.proofOfLeaf(MerkleTree.leaf(EvmAddress.parse(owner(single)), owed[single]))));
      assertEquals(owed[single], c.balanceOf(admin, owner(single)));
      long firstBatch = claimMany(relayer, c, t1, owed, batch);

      // Epoch 2: everyone earns a little more.
      for (int i = 0; i < OWNERS; i++) {
        owed[i] = owed[i].add(BigInteger.TEN.pow(12));
      }
      MerkleTree t2 = tree(owed);
      TransactionReceipt commit2 = admin.execute(c.distributor(), RewardsContracts.commitRootData(2, t2.root(), sum(owed)));
      TransactionReceipt repeat = relayer.execute(c.token(), RewardsContracts.claimData(owner(single), owed[single],
          t2.proofOfLeaf(MerkleTree.leaf(EvmAddress.parse(owner(single)), owed[single]))));
      assertEquals(owed[single], c.balanceOf(admin, owner(single)), "the repeat claim paid the new epoch");
      long repeatBatch = claimMany(relayer, c, t2, owed, batch);
      for (int i : batch) {
        assertEquals(owed[i], c.balanceOf(admin, owner(i)));
      }

      long firstPerOwner = firstBatch / BATCH;
      long repeatPerOwner = repeatBatch / BATCH;
      String report = String.format("Gas on anvil (chain 31337), solc 0.8.30, optimizer 10,000 runs, via IR, EVM paris; %,d owners in the tree"
          + " (proofs of 20 siblings; building one tree in Java: %,d ms). Totals include the 21,000 base cost.%n%n"
          + "| transaction | gas | target |%n|---|---:|---:|%n"
          + "| first root commit | %,d | |%n| root commit (later epochs) | %,d | ≤ 60,000 |%n"
          + "| first claim | %,d | ≤ 75,000 |%n| repeat claim | %,d | ≤ 55,000 |%n"
          + "| 100 first claims in one transaction (multiproof), per owner | %,d | |%n"
          + "| 100 repeat claims in one transaction (multiproof), per owner | %,d | ≤ 25,000 |%n",
          OWNERS, treeMs, gas(commit1), gas(commit2), gas(first), gas(repeat), firstPerOwner, repeatPerOwner);
      System.out.println(report);
      Files.writeString(Path.of("target", "rewards-gas-report.md"), report);
      assertTrue(gas(commit2) <= 60_000, "root commit " + gas(commit2));
      assertTrue(gas(first) <= 75_000, "first claim " + gas(first));
      assertTrue(gas(repeat) <= 55_000, "repeat claim " + gas(repeat));
      assertTrue(repeatPerOwner <= 25_000, "batched repeat claims per owner " + repeatPerOwner);
    }
  }

  /** What the calldata of a transaction costs: 16 gas per nonzero byte, 4 per zero byte. */
  static long calldataGas(String hexData) {
    byte[] b = org.web3j.utils.Numeric.hexStringToByteArray(hexData);
    long g = 0;
    for (byte x : b) {
      g += x == 0 ? 4 : 16;
    }
    return g;
  }

  static long gas(TransactionReceipt r) {
    return r.getGasUsed().longValueExact();
  }

  static long claimMany(EvmClient relayer, RewardsContracts c, MerkleTree tree, BigInteger[] owed, List<Integer> owners) {
    java.util.Map<String, Integer> byLeaf = new java.util.HashMap<>();
    List<byte[]> leaves = new ArrayList<>();
    for (int i : owners) {
      byte[] leaf = MerkleTree.leaf(EvmAddress.parse(owner(i)), owed[i]);
      leaves.add(leaf);
      byLeaf.put(java.util.HexFormat.of().formatHex(leaf), i);
    }
    MerkleTree.MultiProof m = tree.multiProof(leaves);
    assertEquals(java.util.HexFormat.of().formatHex(tree.root()), java.util.HexFormat.of().formatHex(MerkleTree.processMultiProof(m)));
    List<String> addresses = new ArrayList<>();
    List<BigInteger> amounts = new ArrayList<>();
    for (byte[] leaf : m.leaves()) {
      int i = byLeaf.get(java.util.HexFormat.of().formatHex(leaf));
      addresses.add(owner(i));
      amounts.add(owed[i]);
    }
    String data = RewardsContracts.claimManyData(addresses, amounts, m.proof(), m.proofFlags());
    long calldata = calldataGas(data);
    long used = gas(relayer.execute(c.token(), data));
    System.out.printf("claimMany of %d owners: %,d gas, of which calldata %,d (%d proof elements, %d flags)%n", owners.size(), used, calldata,
        m.proof().size(), m.proofFlags().size());
    return used;
  }
}
