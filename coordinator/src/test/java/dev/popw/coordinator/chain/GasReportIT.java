package dev.popw.coordinator.chain;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.coordinator.store.SealedBatch;
import dev.popw.coordinator.testing.Anvil;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * The gas report: gas of real transactions on anvil, read from their receipts. Prints a table and
 * writes it to coordinator/target/gas-report.md (copied into docs/benchmarks.md). Fails when a
 * commit costs more than 55,000 gas or a proof more than 6 gas at 10,000 envelopes per batch.
 */
class GasReportIT {
  @TempDir Path tmp;

  @Test
  void gas_per_commit_per_proof_and_per_inclusion_check() throws Exception {
    try (DevChain anvil = Anvil.start(tmp);
        EvmClient chain = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY0), 31337)) {
      Deployment d = Deployment.deploy(chain, chain.address());
      Random rnd = new Random(42);
      StringBuilder report = new StringBuilder();
      report.append("| envelopes per batch | gas per commit (tx total) | gas per proof | proof length | inclusion check (tx total) |\n");
      report.append("|---:|---:|---:|---:|---:|\n");
      long id = 1;
      double perProofAt10k = Double.NaN;
      long maxCommit = 0;
      for (int size : new int[] {1, 100, 10_000}) {
        List<byte[]> hashes = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
          byte[] h = new byte[32];
          rnd.nextBytes(h);
          hashes.add(h);
        }
        MerkleTree tree = MerkleTree.of(hashes);
        SealedBatch b = new SealedBatch(id++, tree.root(), size, System.currentTimeMillis());
        TransactionReceipt commit = chain.execute(d.batchRegistry(), ProofBatchRegistryContract.commitData(b.id(), b.merkleRoot(),
            size, ChainSettlement.epochOf(b), ChainSettlement.metadataHash("popw-gas", b)));
        long gas = commit.getGasUsed().longValueExact();
        maxCommit = Math.max(maxCommit, gas);
        byte[] probe = hashes.get(rnd.nextInt(size));
        List<byte[]> proof = tree.proof(probe);
        // An inclusion check sent as a transaction, so that its gas comes from a real receipt.
        TransactionReceipt check = chain.execute(d.batchRegistry(),
            ProofBatchRegistryContract.verifyEnvelopeData(chain.address(), b.id(), probe, proof));
        assertTrue(new ProofBatchRegistryContract(chain, d.batchRegistry()).verifyEnvelope(chain.address(), b.id(), probe, proof));
        double perProof = (double) gas / size;
        if (size == 10_000) {
          perProofAt10k = perProof;
        }
        report.append(String.format("| %,d | %,d | %,.2f | %d | %,d |%n", size, gas, perProof, proof.size(), check.getGasUsed()));
      }
      String self = registrationGas(chain, d);
      report.append('\n').append(self);
      String text = "Gas on anvil " + anvilVersion() + " (chain 31337), contracts built by solc 0.8.30, optimizer 10,000 runs,"
          + " via IR, EVM paris. Totals include the 21,000 base cost of a transaction.\n\n" + report;
      System.out.println(text);
      Files.writeString(Path.of("target", "gas-report.md"), text);
      assertTrue(maxCommit <= 55_000, "a commit costs at most 55,000 gas, measured " + maxCommit);
      assertTrue(perProofAt10k <= 6.0, "at most 6 gas per proof at 10,000 per batch, measured " + perProofAt10k);
    }
  }

  /** Gas of the two registration paths. */
  private static String registrationGas(EvmClient chain, Deployment d) throws Exception {
    byte[] id = Hash.sha3("gas-report-device".getBytes());
    TransactionReceipt attested = chain.execute(d.deviceRegistry(),
        DeviceRegistryContract.registerAttestedData(id, 1, Credentials.create(Anvil.KEY1).getAddress(), 1));
    var device = org.web3j.crypto.Keys.createEcKeyPair();
    byte[] pub64 = org.web3j.utils.Numeric.toBytesPadded(device.getPublicKey(), 64);
    var did = dev.popw.identity.SoftwareSigner.fromPrivateKey(dev.popw.identity.KeyType.ECDSA_SECP256K1,
        org.web3j.utils.Numeric.toBytesPadded(device.getPrivateKey(), 32)).deviceId();
    DeviceRegistryContract registry = new DeviceRegistryContract(chain, d.deviceRegistry());
    String owner = Credentials.create(Anvil.KEY1).getAddress();
    byte[] digest = registry.registrationDigest(DeviceRegistryContract.deviceIdOf(did), owner, 1, BigInteger.ZERO);
    var sig = org.web3j.crypto.Sign.signMessage(digest, device, false);
    byte[] sig65 = new byte[65];
    System.arraycopy(sig.getR(), 0, sig65, 0, 32);
    System.arraycopy(sig.getS(), 0, sig65, 32, 32);
    sig65[64] = sig.getV()[0];
    TransactionReceipt self = chain.execute(d.deviceRegistry(), DeviceRegistryContract.registerSelfSignedData(pub64, owner, 1, sig65));
    return String.format("| device registration | gas (tx total) |%n|---|---:|%n| attested by a coordinator | %,d |%n"
        + "| self-signed (EIP-712, ecrecover) | %,d |%n", attested.getGasUsed(), self.getGasUsed());
  }

  private static String anvilVersion() throws Exception {
    Process p = new ProcessBuilder(Anvil.binary().toString(), "--version").start();
    String first = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("?");
    p.waitFor();
    return first.replace("anvil Version: ", "");
  }
}
