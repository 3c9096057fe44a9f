package dev.popw.coordinator.chain;

import static dev.popw.coordinator.chain.ChainFixture.OWNER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.batch.InclusionProof;
import dev.popw.coordinator.store.BatchSettlement;
import dev.popw.coordinator.testing.Anvil;
import dev.popw.coordinator.testing.CuttableProxy;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.testing.DocumentedVectors;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.abi.TypeEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

/** The contracts and the coordinator's settlement against a real anvil. */
class ChainIT {
  @TempDir static Path tmp;
  static DevChain anvil;
  static EvmClient admin;
  static Deployment deployment;

  @BeforeAll
  static void deploy() {
    anvil = Anvil.start(tmp);
    admin = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY0), 31337);
    deployment = Deployment.deploy(admin, admin.address());
  }

  @AfterAll
  static void stop() {
    if (admin != null) {
      admin.close();
    }
    if (anvil != null) {
      anvil.close();
    }
  }

  @Test
  void a_secp256k1_device_registers_itself_by_eip712_signature_and_forgeries_and_replays_fail() throws Exception {
    ECKeyPair device = Keys.createEcKeyPair();
    byte[] pub64 = Numeric.toBytesPadded(device.getPublicKey(), 64);
    DeviceId did = SoftwareSigner.fromPrivateKey(KeyType.ECDSA_SECP256K1, Numeric.toBytesPadded(device.getPrivateKey(), 32)).deviceId();
    byte[] chainId = DeviceRegistryContract.deviceIdOf(did);
    DeviceRegistryContract registry = new DeviceRegistryContract(admin, deployment.deviceRegistry());

    // The EIP-712 digest, computed here from the spec, equals the contract's.
    byte[] domain = Hash.sha3(Numeric.hexStringToByteArray(
        TypeEncoder.encode(new Bytes32(Hash.sha3("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)".getBytes(StandardCharsets.UTF_8))))
            + TypeEncoder.encode(new Bytes32(Hash.sha3("PoPW DeviceRegistry".getBytes(StandardCharsets.UTF_8))))
            + TypeEncoder.encode(new Bytes32(Hash.sha3("1".getBytes(StandardCharsets.UTF_8))))
            + TypeEncoder.encode(new Uint256(31337)) + TypeEncoder.encode(new Address(deployment.deviceRegistry()))));
    byte[] struct = Hash.sha3(Numeric.hexStringToByteArray(
        TypeEncoder.encode(new Bytes32(Hash.sha3("Register(bytes32 deviceId,address owner,uint8 kind,uint256 nonce)".getBytes(StandardCharsets.UTF_8))))
            + TypeEncoder.encode(new Bytes32(chainId)) + TypeEncoder.encode(new Address(OWNER.toString()))
            + TypeEncoder.encode(new Uint256(1)) + TypeEncoder.encode(new Uint256(0))));
    byte[] digest = Hash.sha3(concat(new byte[] {0x19, 0x01}, domain, struct));
    assertArrayEquals(digest, registry.registrationDigest(chainId, OWNER.toString(), 1, BigInteger.ZERO));

    // A forged signature (another key) is refused.
    try (EvmClient relayer = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY1), 31337)) {
      byte[] forged = signature(Sign.signMessage(digest, Keys.createEcKeyPair(), false));
      ChainException e = assertThrows(ChainException.class, () -> relayer.execute(deployment.deviceRegistry(),
          DeviceRegistryContract.registerSelfSignedData(pub64, OWNER.toString(), 1, forged)));
      assertTrue(e.getMessage().contains("BadDeviceSignature"), e.getMessage());

      // The device's own signature works, relayed by anyone (here account #1).
      byte[] sig = signature(Sign.signMessage(digest, device, false));
      relayer.execute(deployment.deviceRegistry(), DeviceRegistryContract.registerSelfSignedData(pub64, OWNER.toString(), 1, sig));
      DeviceRegistryContract.OnChainDevice d = registry.deviceOf(chainId);
      assertEquals(OWNER.toString().toLowerCase(), d.owner().toLowerCase());
      assertEquals(3, d.keyType());
      assertEquals(1, d.kind());
      assertEquals(1, d.status());
      assertEquals(BigInteger.ONE, registry.nonce(chainId));

      // Replaying the same signature fails: the nonce moved on.
      ChainException replay = assertThrows(ChainException.class, () -> relayer.execute(deployment.deviceRegistry(),
          DeviceRegistryContract.registerSelfSignedData(pub64, OWNER.toString(), 1, sig)));
      assertTrue(replay.getMessage().contains("BadDeviceSignature"), replay.getMessage());
    }
  }

  /** docs/wire-format.md's EIP-712 vector: the contract's digest, and the documented signature registers the device. */
  @Test
  void the_documented_self_registration_vector_is_the_contracts() throws Exception {
    Map<String, String> v = DocumentedVectors.block(DocumentedVectors.doc("wire-format.md"), "eip712 self-registration");
    // The vector's contract address is that of the first deployment by account #0 on a fresh chain, as here.
    assertEquals(v.get("verifying_contract").toLowerCase(), deployment.deviceRegistry().toLowerCase());
    DeviceRegistryContract registry = new DeviceRegistryContract(admin, deployment.deviceRegistry());
    byte[] deviceId = Numeric.hexStringToByteArray(v.get("device_id"));
    assertEquals(v.get("digest"), Numeric.toHexStringNoPrefix(registry.registrationDigest(deviceId, v.get("owner"),
        Integer.parseInt(v.get("kind")), new BigInteger(v.get("nonce")))));
    try (EvmClient relayer = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY2), 31337)) {
      relayer.execute(deployment.deviceRegistry(), DeviceRegistryContract.registerSelfSignedData(
          Numeric.hexStringToByteArray(v.get("device_public_key_xy")), v.get("owner"), 1, Numeric.hexStringToByteArray(v.get("signature"))));
    }
    assertEquals(v.get("owner").toLowerCase(), registry.deviceOf(deviceId).owner().toLowerCase());
  }

  @Test
  void the_owner_transfers_and_deactivates_a_device_and_nobody_else_can() throws Exception {
    byte[] id = Hash.sha3("transfer-test-device".getBytes(StandardCharsets.UTF_8));
    String owner = Credentials.create(Anvil.KEY1).getAddress();
    String next = Credentials.create(Anvil.KEY2).getAddress();
    admin.execute(deployment.deviceRegistry(), DeviceRegistryContract.registerAttestedData(id, 1, owner, 2));
    DeviceRegistryContract registry = new DeviceRegistryContract(admin, deployment.deviceRegistry());
    try (EvmClient ownerClient = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY1), 31337);
        EvmClient other = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY2), 31337)) {
      ChainException notOwner = assertThrows(ChainException.class,
          () -> other.execute(deployment.deviceRegistry(), DeviceRegistryContract.transferDeviceData(id, next)));
      assertTrue(notOwner.getMessage().contains("NotDeviceOwner"), notOwner.getMessage());
      ownerClient.execute(deployment.deviceRegistry(), DeviceRegistryContract.transferDeviceData(id, next));
      assertEquals(next, registry.deviceOf(id).owner().toLowerCase());
      other.execute(deployment.deviceRegistry(), DeviceRegistryContract.deactivateData(id));
      assertEquals(2, registry.deviceOf(id).status());
      ChainException again = assertThrows(ChainException.class,
          () -> other.execute(deployment.deviceRegistry(), DeviceRegistryContract.transferDeviceData(id, owner)));
      assertTrue(again.getMessage().contains("DeviceInactive"), again.getMessage());
      // Only authorized coordinators attest.
      ChainException unauthorized = assertThrows(ChainException.class, () -> other.execute(deployment.deviceRegistry(),
          DeviceRegistryContract.registerAttestedData(Hash.sha3(id), 1, next, 1)));
      assertTrue(unauthorized.getMessage().contains("NotCoordinator"), unauthorized.getMessage());
    }
  }

  @Test
  void coordinator_attests_devices_commits_batches_and_random_envelopes_verify_on_chain() throws Exception {
    Path keyFile = Anvil.keyFile(tmp, Anvil.KEY0);
    List<SealedEnvelope> sent;
    List<ChainFixture.Dev> devices = new ArrayList<>();
    try (Coordinator c = Coordinator.start(ChainFixture.settings(tmp.resolve("attest"), anvil.rpcUrl(), keyFile, deployment, 100))) {
      for (KeyType t : KeyType.values()) {
        devices.add(ChainFixture.device(c, t));
      }
      sent = ChainFixture.ingest(c, devices, 350);
      c.batcher().sealAll();
      ChainFixture.await(() -> ChainFixture.allConfirmed(c), Duration.ofSeconds(60), "every batch is confirmed");
      ChainSettlement cs = c.chainSettlement().orElseThrow();
      ProofBatchRegistryContract registry = cs.batchRegistry();

      // Devices of all three key types were attested on-chain for their owner.
      for (ChainFixture.Dev dev : devices) {
        DeviceId id = dev.id();
        ChainFixture.await(() -> "ATTESTED".equals(c.store().devices().deviceChain(id)[0]), Duration.ofSeconds(30), id + " is attested");
        DeviceRegistryContract.OnChainDevice d = cs.deviceRegistry().deviceOf(DeviceRegistryContract.deviceIdOf(id));
        assertEquals(OWNER.toString().toLowerCase(), d.owner().toLowerCase());
        assertEquals(id.keyType().wireValue(), d.keyType());
        assertEquals(1, d.status());
      }

      // Each batch is committed exactly once, with its root, in batch order.
      var batches = c.store().batches().batches(0, 100);
      assertEquals(4, batches.size());
      long lastBlock = 0;
      for (var b : oldestFirst(batches)) {
        assertArrayEquals(b.merkleRoot(), registry.rootOf(admin.address(), b.id()).orElseThrow());
        assertEquals(1, registry.commitEvents(admin.address(), b.id()).size(), "one commit of batch " + b.id());
        long block = c.store().batches().settlement(b.id()).orElseThrow().blockNumber();
        assertTrue(block > lastBlock, "batch " + b.id() + " settles after the one before");
        lastBlock = block;
      }

      // Random envelopes verify on-chain with the coordinator's proofs; forgeries do not.
      Random rnd = new Random(7);
      List<SealedEnvelope> sample = new ArrayList<>(sent);
      Collections.shuffle(sample, rnd);
      for (SealedEnvelope e : sample.subList(0, 25)) {
        InclusionProof p = c.batcher().proof(e.hash()).orElseThrow();
        assertTrue(registry.verifyEnvelope(admin.address(), p.batch().id(), e.hash(), p.proof()), "envelope " + e.sequence());
        List<byte[]> forged = new ArrayList<>(p.proof());
        byte[] sibling = forged.get(rnd.nextInt(forged.size())).clone();
        sibling[rnd.nextInt(32)] ^= 1;
        forged.set(rnd.nextInt(forged.size()), sibling);
        assertFalse(registry.verifyEnvelope(admin.address(), p.batch().id(), e.hash(), forged), "a forged proof");
        assertFalse(registry.verifyEnvelope(admin.address(), p.batch().id() + 100, e.hash(), p.proof()), "an uncommitted batch id");
        byte[] otherHash = e.hash().clone();
        otherHash[0] ^= 1;
        assertFalse(registry.verifyEnvelope(admin.address(), p.batch().id(), otherHash, p.proof()), "an envelope not in the batch");
      }

      // A second commit of the same batch is a no-op on-chain: no event, same root.
      var first = batches.get(batches.size() - 1);
      admin.execute(registry.address(), ProofBatchRegistryContract.commitData(first.id(), first.merkleRoot(),
          first.envelopeCount(), ChainSettlement.epochOf(first), ChainSettlement.metadataHash("popw-test", first)));
      assertEquals(1, registry.commitEvents(admin.address(), first.id()).size());
      // A different root for a committed id is refused.
      byte[] other = first.merkleRoot().clone();
      other[0] ^= 1;
      ChainException conflict = assertThrows(ChainException.class, () -> admin.execute(registry.address(),
          ProofBatchRegistryContract.commitData(first.id(), other, 1, 0, new byte[32])));
      assertTrue(conflict.getMessage().contains("ConflictingRoot"), conflict.getMessage());
    }
  }

  @Test
  void batches_queue_while_the_chain_is_unreachable_and_all_settle_once_in_order_when_it_returns() throws Exception {
    Path keyFile = Anvil.keyFile(tmp, Anvil.KEY0);
    // Its own registry, so batch ids start at 1 for this coordinator's database.
    Deployment own = Deployment.deploy(admin, admin.address());
    try (CuttableProxy proxy = new CuttableProxy(anvil.port());
        Coordinator c = Coordinator.start(ChainFixture.settings(tmp.resolve("outage"), "http://127.0.0.1:" + proxy.port(),
            keyFile, own, 50))) {
      List<ChainFixture.Dev> devices = List.of(ChainFixture.device(c, KeyType.ED25519), ChainFixture.device(c, KeyType.ECDSA_P256));
      ChainFixture.ingest(c, devices, 100);
      c.batcher().sealAll();
      ChainFixture.await(() -> ChainFixture.allConfirmed(c), Duration.ofSeconds(30), "the first batches confirm");

      proxy.cut();
      ChainFixture.ingest(c, devices, 250); // ingest goes on; batches seal and queue
      c.batcher().sealAll();
      Thread.sleep(1500);
      ChainSettlement cs = c.chainSettlement().orElseThrow();
      assertFalse(cs.reachable(), "settlement noticed the outage");
      assertEquals(5L, c.store().batches().settlementCounts().getOrDefault(BatchSettlement.SEALED, 0L)
          + c.store().batches().settlementCounts().getOrDefault(BatchSettlement.SUBMITTED, 0L), c.store().batches().settlementCounts().toString());

      proxy.restore();
      ChainFixture.await(() -> ChainFixture.allConfirmed(c), Duration.ofSeconds(90), "every queued batch is confirmed");
      assertTrue(cs.reachable());
      var batches = c.store().batches().batches(0, 100);
      assertEquals(7, batches.size());
      long lastBlock = 0;
      for (var b : oldestFirst(batches)) {
        assertEquals(1, cs.batchRegistry().commitEvents(admin.address(), b.id()).size(), "batch " + b.id() + " committed once");
        assertArrayEquals(b.merkleRoot(), cs.batchRegistry().rootOf(admin.address(), b.id()).orElseThrow());
        BatchSettlement s = c.store().batches().settlement(b.id()).orElseThrow();
        assertTrue(admin.receipt(s.txHash()).orElseThrow().isStatusOK());
        assertTrue(s.blockNumber() > lastBlock, "batch " + b.id() + " settles after the one before");
        lastBlock = s.blockNumber();
      }
    }
  }

  private static <T> List<T> oldestFirst(List<T> newestFirst) {
    List<T> l = new ArrayList<>(newestFirst);
    Collections.reverse(l);
    return l;
  }

  private static byte[] signature(Sign.SignatureData s) {
    return concat(s.getR(), s.getS(), s.getV());
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int o = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, o, p.length);
      o += p.length;
    }
    return out;
  }
}
