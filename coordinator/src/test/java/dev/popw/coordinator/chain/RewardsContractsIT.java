package dev.popw.coordinator.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.coordinator.testing.Anvil;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.sec.SECNamedCurves;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;

/**
 * The rewards contracts on a real anvil: cumulative claims over several epochs, the circuit breaker
 * and the emission ceiling, data credits at a fresh price only, staking with unbonding, and
 * slashing with real equivocation evidence (checked on-chain for secp256k1 and P-256 keys) or a
 * coordinator's attestation.
 */
class RewardsContractsIT {
  static final BigInteger TOKEN = BigInteger.TEN.pow(18);
  static final long DAY = 86_400;
  @TempDir static Path tmp;
  static DevChain anvil;
  static EvmClient admin; // anvil #0: admin and coordinator
  static EvmClient alice; // #1: an owner
  static EvmClient bob; // #2: an owner
  static EvmClient carol; // #3: a relayer, a data consumer, a reporter
  static RewardsContracts c;
  static long genesis;

  @BeforeAll
  static void deploy() {
    anvil = Anvil.start(tmp);
    admin = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY0), 31337);
    alice = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY1), 31337);
    bob = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY2), 31337);
    carol = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY3), 31337);
    genesis = System.currentTimeMillis() / 1000 - 40 * DAY; // epoch 40 is the current one
    c = RewardsContracts.deploy(admin, admin.address(), RewardsContracts.Parameters.defaults(genesis));
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable x : new AutoCloseable[] {admin, alice, bob, carol, anvil}) {
      x.close();
    }
  }

  /** A rewards tree over (owner, cumulative) and the proofs of its owners. */
  record Tree(MerkleTree tree, Map<String, BigInteger> owed) {
    static Tree of(Map<String, BigInteger> owed) {
      List<byte[]> leaves = new ArrayList<>();
      owed.forEach((o, a) -> leaves.add(MerkleTree.leaf(EvmAddress.parse(o), a)));
      return new Tree(MerkleTree.ofLeaves(leaves), owed);
    }

    BigInteger total() {
      return owed.values().stream().reduce(BigInteger.ZERO, BigInteger::add);
    }

    List<byte[]> proof(String owner) {
      return tree.proofOfLeaf(MerkleTree.leaf(EvmAddress.parse(owner), owed.get(owner)));
    }
  }

  static void commit(long epoch, Tree t) {
    admin.execute(c.distributor(), RewardsContracts.commitRootData(epoch, t.tree().root(), t.total()));
  }

  static String claim(EvmClient sender, Tree t, String owner) {
    return sender.execute(c.token(), RewardsContracts.claimData(owner, t.owed().get(owner), t.proof(owner))).getTransactionHash();
  }

  @Test
  void one_claim_pays_every_past_epoch_and_a_second_claim_pays_nothing() {
    String a = alice.address();
    String b = bob.address();
    BigInteger balanceA = c.balanceOf(admin, a);
    BigInteger balanceB = c.balanceOf(admin, b);
    BigInteger base = c.totalOwed(admin);
    BigInteger claimedA = c.claimedOf(admin, a);
    BigInteger claimedB = c.claimedOf(admin, b);
    // Three epochs: alice earns 100, 200, 300 tokens; bob 50 each.
    Map<String, BigInteger> owed = new LinkedHashMap<>();
    long[] epochs = {1, 2, 3};
    Tree last = null;
    for (int i = 0; i < 3; i++) {
      owed.put(a, claimedA.add(TOKEN.multiply(BigInteger.valueOf(sum(i, 100)))));
      owed.put(b, claimedB.add(TOKEN.multiply(BigInteger.valueOf(50L * (i + 1)))));
      owed.put("0x000000000000000000000000000000000000dEaD", base.add(BigInteger.ONE)); // keeps the total monotonic across tests
      last = Tree.of(new LinkedHashMap<>(owed));
      commit(nextEpoch(epochs[i]), last);
      if (i == 0) { // bob claims after the first epoch, alice waits
        claim(carol, last, b); // a relayer sends it; the tokens go to bob
        assertEquals(balanceB.add(TOKEN.multiply(BigInteger.valueOf(50))), c.balanceOf(admin, b));
      }
    }
    claim(alice, last, a);
    assertEquals(balanceA.add(TOKEN.multiply(BigInteger.valueOf(600))), c.balanceOf(admin, a), "100 + 200 + 300 in one claim");
    claim(alice, last, a);
    assertEquals(balanceA.add(TOKEN.multiply(BigInteger.valueOf(600))), c.balanceOf(admin, a), "the second claim pays nothing");
    claim(bob, last, b);
    assertEquals(balanceB.add(TOKEN.multiply(BigInteger.valueOf(150))), c.balanceOf(admin, b), "bob gets the two epochs he had not claimed");
    // A leaf that is not in the tree: refused.
    Tree fin = last;
    ChainException e = assertThrows(ChainException.class, () -> alice.execute(c.token(),
        RewardsContracts.claimData(a, owed.get(a).add(BigInteger.ONE), fin.proof(a))));
    assertTrue(e.getMessage().contains("BadProof"), e.getMessage());
  }

  private static long sum(int i, long unit) {
    long s = 0;
    for (int k = 0; k <= i; k++) {
      s += unit * (k + 1);
    }
    return s;
  }

  /** Epochs move forward across the tests of this class: the next epoch at or after {@code wanted}. */
  private static long nextEpoch(long wanted) {
    long latest = c.latestEpoch(admin);
    return Math.max(wanted, latest + 1);
  }

  @Test
  void the_circuit_breaker_refuses_a_root_above_five_epoch_emissions() throws Exception {
    long epoch = nextEpoch(10);
    BigInteger emission = c.emissionOf(admin, epoch);
    BigInteger base = c.totalOwed(admin);
    Tree tooMuch = Tree.of(Map.of(alice.address(), base.add(emission.multiply(BigInteger.valueOf(5))).add(BigInteger.ONE)));
    ChainException e = assertThrows(ChainException.class, () -> commit(epoch, tooMuch));
    assertTrue(e.getMessage().contains("CircuitBreaker"), e.getMessage());
    // The current epoch has not ended: refused too.
    Tree small = Tree.of(Map.of(alice.address(), base.add(BigInteger.ONE)));
    long current = c.epochAt(admin, chainNow() + 1).longValueExact();
    ChainException open = assertThrows(ChainException.class, () -> commit(current, small));
    assertTrue(open.getMessage().contains("EpochNotOver"), open.getMessage());
  }

  @Test
  void credits_are_bought_by_burning_at_a_fresh_price_only_and_settled_per_epoch() throws Exception {
    // carol gets tokens (a reward), then burns 10 of them for credits at $0.50.
    long epoch = nextEpoch(20);
    BigInteger base = c.totalOwed(admin);
    String consumer = carol.address();
    BigInteger claimed = c.claimedOf(admin, consumer);
    Map<String, BigInteger> owed = new LinkedHashMap<>();
    owed.put(consumer, claimed.add(TOKEN.multiply(BigInteger.valueOf(20))));
    owed.put("0x000000000000000000000000000000000000bEEF", base.add(BigInteger.ONE));
    Tree t = Tree.of(owed);
    commit(epoch, t);
    claim(carol, t, consumer);
    BigInteger supply = c.totalSupply(admin);
    carol.execute(c.token(), RewardsContracts.approveData(c.credits(), TOKEN.multiply(BigInteger.valueOf(10))));
    long now = chainNow();
    admin.execute(c.priceFeed(), RewardsContracts.setPriceData(BigInteger.valueOf(50_000_000), now));
    long currentEpoch = c.epochAt(admin, chainNow() + 1).longValueExact();
    BigInteger before = c.creditsOf(admin, consumer);
    carol.execute(c.credits(), RewardsContracts.burnForCreditsData(TOKEN.multiply(BigInteger.valueOf(10)), consumer));
    // 10 tokens x $0.50 = $5 = 500,000 credits at 100,000 credits per dollar
    assertEquals(before.add(BigInteger.valueOf(500_000)), c.creditsOf(admin, consumer));
    assertEquals(supply.subtract(TOKEN.multiply(BigInteger.valueOf(10))), c.totalSupply(admin), "burned: the supply went down");
    assertTrue(c.burnedInEpoch(admin, currentEpoch).compareTo(TOKEN.multiply(BigInteger.valueOf(10))) >= 0);

    // A price two hours old (max age one hour): refused.
    admin.execute(c.priceFeed(), RewardsContracts.setPriceData(BigInteger.valueOf(50_000_000), now - 7_200));
    carol.execute(c.token(), RewardsContracts.approveData(c.credits(), TOKEN));
    ChainException stale = assertThrows(ChainException.class, () -> carol.execute(c.credits(), RewardsContracts.burnForCreditsData(TOKEN, consumer)));
    assertTrue(stale.getMessage().contains("StalePrice"), stale.getMessage());
    admin.execute(c.priceFeed(), RewardsContracts.setPriceData(BigInteger.ZERO, now));
    ChainException zero = assertThrows(ChainException.class, () -> carol.execute(c.credits(), RewardsContracts.burnForCreditsData(TOKEN, consumer)));
    assertTrue(zero.getMessage().contains("BadPrice"), zero.getMessage());
    admin.execute(c.priceFeed(), RewardsContracts.setPriceData(BigInteger.valueOf(50_000_000), now));

    // The coordinator settles what the consumer spent; more than it holds is refused.
    BigInteger credits = c.creditsOf(admin, consumer);
    admin.execute(c.credits(), RewardsContracts.settleCreditsData(currentEpoch, Hash.sha3("spent".getBytes()), List.of(consumer),
        List.of(BigInteger.valueOf(1_234))));
    assertEquals(credits.subtract(BigInteger.valueOf(1_234)), c.creditsOf(admin, consumer));
    ChainException over = assertThrows(ChainException.class, () -> admin.execute(c.credits(), RewardsContracts.settleCreditsData(
        currentEpoch + 1, Hash.sha3("x".getBytes()), List.of(consumer), List.of(credits))));
    assertTrue(over.getMessage().contains("InsufficientCredits"), over.getMessage());
    ChainException notCoordinator = assertThrows(ChainException.class, () -> carol.execute(c.credits(), RewardsContracts.settleCreditsData(
        currentEpoch + 2, Hash.sha3("x".getBytes()), List.of(consumer), List.of(BigInteger.ONE))));
    assertTrue(notCoordinator.getMessage().contains("NotCoordinator"), notCoordinator.getMessage());
  }

  /** Gives {@code to} tokens through a reward claim. */
  static void fund(EvmClient to, BigInteger amount) {
    long epoch = nextEpoch(25);
    BigInteger base = c.totalOwed(admin);
    Map<String, BigInteger> owed = new LinkedHashMap<>();
    owed.put(to.address(), c.claimedOf(admin, to.address()).add(amount));
    owed.put("0x000000000000000000000000000000000000cafe", base.add(BigInteger.ONE));
    Tree t = Tree.of(owed);
    commit(epoch, t);
    claim(to, t, to.address());
  }

  @Test
  void stake_unbonds_only_after_the_delay_and_belongs_to_its_first_staker() throws Exception {
    fund(bob, TOKEN.multiply(BigInteger.valueOf(100)));
    byte[] device = Hash.sha3("unbonding-device".getBytes());
    bob.execute(c.token(), RewardsContracts.approveData(c.staking(), TOKEN.multiply(BigInteger.valueOf(100))));
    bob.execute(c.staking(), RewardsContracts.stakeData(device, TOKEN.multiply(BigInteger.valueOf(100))));
    assertEquals(bob.address().toLowerCase(), c.stakeOf(admin, device).owner().toLowerCase());
    ChainException notOwner = assertThrows(ChainException.class, () -> alice.execute(c.staking(), RewardsContracts.stakeData(device, BigInteger.ONE)));
    assertTrue(notOwner.getMessage().contains("NotStakeOwner"), notOwner.getMessage());
    BigInteger balance = c.balanceOf(admin, bob.address());
    bob.execute(c.staking(), RewardsContracts.unbondData(device, TOKEN.multiply(BigInteger.valueOf(40))));
    RewardsContracts.Stake s = c.stakeOf(admin, device);
    assertEquals(TOKEN.multiply(BigInteger.valueOf(60)), s.amount());
    assertEquals(TOKEN.multiply(BigInteger.valueOf(40)), s.unbonding());
    ChainException early = assertThrows(ChainException.class, () -> bob.execute(c.staking(), RewardsContracts.withdrawData(device)));
    assertTrue(early.getMessage().contains("StillUnbonding"), early.getMessage());
    Anvil.rpc(anvil.rpcUrl(), "evm_increaseTime", "[" + (7 * DAY + 1) + "]");
    Anvil.rpc(anvil.rpcUrl(), "evm_mine", "[]");
    bob.execute(c.staking(), RewardsContracts.withdrawData(device));
    assertEquals(balance.add(TOKEN.multiply(BigInteger.valueOf(40))), c.balanceOf(admin, bob.address()));
    assertEquals(BigInteger.ZERO, c.stakeOf(admin, device).unbonding());
  }

  /** Two telemetries of one device with the same sequence and different bytes, and their signatures. */
  record Equivocation(byte[] telemetryA, byte[] signatureA, byte[] telemetryB, byte[] signatureB) {
    static Equivocation by(SoftwareSigner device) throws Exception {
      SealedEnvelope a = EnvelopeSealer.builder().signer(device).sequence(new FixedSequence(7)).networkId("popw-test").build()
          .seal(SampleTelemetry.weather());
      SealedEnvelope b = EnvelopeSealer.builder().signer(device).sequence(new FixedSequence(7)).networkId("popw-test").build()
          .seal(SampleTelemetry.weather().toBuilder().setSensorModel("SHT31").build());
      SignedEnvelope ea = SignedEnvelope.parseFrom(a.bytes());
      SignedEnvelope eb = SignedEnvelope.parseFrom(b.bytes());
      return new Equivocation(ea.getTelemetry().toByteArray(), ea.getSignature().toByteArray(), eb.getTelemetry().toByteArray(),
          eb.getSignature().toByteArray());
    }
  }

  static byte[] uncompressed(SoftwareSigner device) {
    String curve = device.keyType() == KeyType.ECDSA_SECP256K1 ? "secp256k1" : "secp256r1";
    byte[] full = SECNamedCurves.getByName(curve).getCurve().decodePoint(device.publicKey()).getEncoded(false);
    return java.util.Arrays.copyOfRange(full, 1, 65);
  }

  @ParameterizedTest
  @EnumSource(value = KeyType.class, names = {"ECDSA_SECP256K1", "ECDSA_P256"})
  void equivocation_evidence_slashes_on_chain_and_forged_evidence_does_not(KeyType type) throws Exception {
    SoftwareSigner device = SoftwareSigner.generate(type, new SecureRandom());
    byte[] deviceId = Hash.sha3(device.deviceId().toBytes());
    fund(alice, TOKEN.multiply(BigInteger.valueOf(100)));
    alice.execute(c.token(), RewardsContracts.approveData(c.staking(), TOKEN.multiply(BigInteger.valueOf(100))));
    alice.execute(c.staking(), RewardsContracts.stakeData(deviceId, TOKEN.multiply(BigInteger.valueOf(100))));
    Equivocation e = Equivocation.by(device);
    byte[] key = uncompressed(device);

    // Forged: a flipped bit in the second signature, the same telemetry twice, another device's key.
    byte[] bad = e.signatureB().clone();
    bad[10] ^= 1;
    assertRevert("BadEvidence", () -> carol.execute(c.staking(),
        RewardsContracts.slashEquivocationData(key, e.telemetryA(), e.signatureA(), e.telemetryB(), bad)));
    assertRevert("NotEquivocation", () -> carol.execute(c.staking(),
        RewardsContracts.slashEquivocationData(key, e.telemetryA(), e.signatureA(), e.telemetryA(), e.signatureA())));
    SoftwareSigner other = SoftwareSigner.generate(type, new SecureRandom());
    assertRevert("BadEvidence", () -> carol.execute(c.staking(),
        RewardsContracts.slashEquivocationData(uncompressed(other), e.telemetryA(), e.signatureA(), e.telemetryB(), e.signatureB())));
    assertEquals(TOKEN.multiply(BigInteger.valueOf(100)), c.stakeOf(admin, deviceId).amount(), "forged evidence slashed nothing");

    BigInteger supply = c.totalSupply(admin);
    BigInteger reporter = c.balanceOf(admin, carol.address());
    carol.execute(c.staking(), RewardsContracts.slashEquivocationData(key, e.telemetryA(), e.signatureA(), e.telemetryB(), e.signatureB()));
    // 50% of 100 slashed; 10% of that to the reporter, the rest burned.
    assertEquals(TOKEN.multiply(BigInteger.valueOf(50)), c.stakeOf(admin, deviceId).amount());
    assertEquals(reporter.add(TOKEN.multiply(BigInteger.valueOf(5))), c.balanceOf(admin, carol.address()));
    assertEquals(supply.subtract(TOKEN.multiply(BigInteger.valueOf(45))), c.totalSupply(admin));
    assertRevert("AlreadySlashed", () -> carol.execute(c.staking(),
        RewardsContracts.slashEquivocationData(key, e.telemetryA(), e.signatureA(), e.telemetryB(), e.signatureB())));
  }

  @Test
  void an_ed25519_device_is_slashed_on_a_coordinators_attestation_only() throws Exception {
    SoftwareSigner device = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    byte[] deviceId = Hash.sha3(device.deviceId().toBytes());
    fund(bob, TOKEN.multiply(BigInteger.valueOf(10)));
    bob.execute(c.token(), RewardsContracts.approveData(c.staking(), TOKEN.multiply(BigInteger.valueOf(10))));
    bob.execute(c.staking(), RewardsContracts.stakeData(deviceId, TOKEN.multiply(BigInteger.valueOf(10))));
    assertRevert("NotCoordinator", () -> carol.execute(c.staking(), RewardsContracts.slashAttestedData(deviceId, 7, new byte[32])));
    admin.execute(c.staking(), RewardsContracts.slashAttestedData(deviceId, 7, Hash.sha3("evidence".getBytes())));
    assertEquals(TOKEN.multiply(BigInteger.valueOf(5)), c.stakeOf(admin, deviceId).amount());
  }

  /** The latest block's timestamp (tests move the chain's clock). */
  static long chainNow() throws Exception {
    String r = Anvil.rpc(anvil.rpcUrl(), "eth_getBlockByNumber", "[\"latest\", false]");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"timestamp\":\"0x([0-9a-f]+)\"").matcher(r);
    assertTrue(m.find(), r);
    return Long.parseLong(m.group(1), 16);
  }

  static void assertRevert(String error, org.junit.jupiter.api.function.Executable call) {
    ChainException e = assertThrows(ChainException.class, call);
    assertTrue(e.getMessage().contains(error), "expected " + error + ": " + e.getMessage());
  }
}
