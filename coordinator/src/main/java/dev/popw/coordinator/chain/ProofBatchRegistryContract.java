package dev.popw.coordinator.chain;

import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint32;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/** ABI of {@code contracts/src/ProofBatchRegistry.sol}, bound to a deployed address. */
public final class ProofBatchRegistryContract {
  public static final Event BATCH_COMMITTED = new Event("BatchCommitted", List.of(
      new TypeReference<Address>(true) {}, new TypeReference<Uint64>(true) {}, new TypeReference<Bytes32>() {},
      new TypeReference<Uint32>() {}, new TypeReference<Uint64>() {}, new TypeReference<Bytes32>() {}));
  public static final String BATCH_COMMITTED_TOPIC = EventEncoder.encode(BATCH_COMMITTED);

  private final EvmClient chain;
  private final String address;

  public ProofBatchRegistryContract(EvmClient chain, String address) {
    this.chain = chain;
    this.address = address;
  }

  public String address() {
    return address;
  }

  /** Creation code with the constructor argument (the admin). */
  public static String deployData(String admin) {
    return ContractArtifacts.bytecode(ContractArtifacts.PROOF_BATCH_REGISTRY)
        + FunctionEncoder.encodeConstructor(List.of(new Address(admin)));
  }

  public static String commitData(long batchId, byte[] root, int count, long epoch, byte[] metadataHash) {
    return FunctionEncoder.encode(new Function("commit", List.of(new Uint64(batchId), new Bytes32(root),
        new Uint32(count), new Uint64(epoch), new Bytes32(metadataHash)), List.of(new TypeReference<Bool>() {})));
  }

  public static String setCoordinatorData(String coordinator, boolean authorized) {
    return FunctionEncoder.encode(new Function("setCoordinator", List.of(new Address(coordinator), new Bool(authorized)), List.of()));
  }

  /** The committed root of one of this coordinator's batches; empty when none. */
  public Optional<byte[]> rootOf(String coordinator, long batchId) {
    Function f = new Function("rootOf", List.of(new Address(coordinator), new Uint64(batchId)), List.of(new TypeReference<Bytes32>() {}));
    byte[] root = (byte[]) decode(f, chain.call(address, FunctionEncoder.encode(f))).get(0).getValue();
    return isZero(root) ? Optional.empty() : Optional.of(root);
  }

  public static String verifyEnvelopeData(String coordinator, long batchId, byte[] envelopeHash, List<byte[]> proof) {
    return FunctionEncoder.encode(verifyEnvelopeFunction(coordinator, batchId, envelopeHash, proof));
  }

  /** The contract's own inclusion check, run on the node. */
  public boolean verifyEnvelope(String coordinator, long batchId, byte[] envelopeHash, List<byte[]> proof) {
    Function f = verifyEnvelopeFunction(coordinator, batchId, envelopeHash, proof);
    return (Boolean) decode(f, chain.call(address, FunctionEncoder.encode(f))).get(0).getValue();
  }

  public boolean isCoordinator(String account) {
    Function f = new Function("isCoordinator", List.of(new Address(account)), List.of(new TypeReference<Bool>() {}));
    return (Boolean) decode(f, chain.call(address, FunctionEncoder.encode(f))).get(0).getValue();
  }

  /** The BatchCommitted events of a coordinator's batch (normally exactly one once committed). */
  public List<Log> commitEvents(String coordinator, long batchId) {
    return chain.logs(address, BigInteger.ZERO, BATCH_COMMITTED_TOPIC,
        Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(coordinator), 64),
        Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(batchId), 64));
  }

  private static Function verifyEnvelopeFunction(String coordinator, long batchId, byte[] envelopeHash, List<byte[]> proof) {
    return new Function("verifyEnvelope", List.of(new Address(coordinator), new Uint64(batchId), new Bytes32(envelopeHash),
        new DynamicArray<>(Bytes32.class, proof.stream().map(Bytes32::new).toList())), List.of(new TypeReference<Bool>() {}));
  }

  @SuppressWarnings("rawtypes")
  private static List<Type> decode(Function f, String value) {
    List<Type> out = FunctionReturnDecoder.decode(value, f.getOutputParameters());
    if (out.isEmpty()) {
      throw new ChainException("no contract at the batch registry address, or it is not a ProofBatchRegistry", false);
    }
    return out;
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }
}
