package dev.popw.coordinator.chain;

import dev.popw.identity.DeviceId;
import java.math.BigInteger;
import java.util.List;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.crypto.Hash;

/** ABI of {@code contracts/src/DeviceRegistry.sol}, bound to a deployed address. */
public final class DeviceRegistryContract {
  /** A device as the contract holds it; status 0 none, 1 active, 2 inactive. */
  public record OnChainDevice(String owner, int keyType, int kind, int status) {}

  private final EvmClient chain;
  private final String address;

  public DeviceRegistryContract(EvmClient chain, String address) {
    this.chain = chain;
    this.address = address;
  }

  public String address() {
    return address;
  }

  /** The on-chain device id: keccak256 of the multicodec key inside the did:key. */
  public static byte[] deviceIdOf(DeviceId id) {
    return Hash.sha3(id.toBytes());
  }

  public static String deployData(String admin) {
    return ContractArtifacts.bytecode(ContractArtifacts.DEVICE_REGISTRY)
        + FunctionEncoder.encodeConstructor(List.of(new Address(admin)));
  }

  public static String registerAttestedData(byte[] deviceId, int keyType, String owner, int kind) {
    return FunctionEncoder.encode(new Function("registerAttested",
        List.of(new Bytes32(deviceId), new Uint8(keyType), new Address(owner), new Uint8(kind)), List.of()));
  }

  /**
   * @param publicKey64 the uncompressed secp256k1 key without the 0x04 prefix
   * @param signature65 r || s || v over {@link #registrationDigest}
   */
  public static String registerSelfSignedData(byte[] publicKey64, String owner, int kind, byte[] signature65) {
    return FunctionEncoder.encode(new Function("registerSelfSigned",
        List.of(new DynamicBytes(publicKey64), new Address(owner), new Uint8(kind), new DynamicBytes(signature65)), List.of()));
  }

  public static String transferDeviceData(byte[] deviceId, String newOwner) {
    return FunctionEncoder.encode(new Function("transferDevice", List.of(new Bytes32(deviceId), new Address(newOwner)), List.of()));
  }

  public static String deactivateData(byte[] deviceId) {
    return FunctionEncoder.encode(new Function("deactivate", List.of(new Bytes32(deviceId)), List.of()));
  }

  public static String setCoordinatorData(String coordinator, boolean authorized) {
    return ProofBatchRegistryContract.setCoordinatorData(coordinator, authorized);
  }

  @SuppressWarnings("rawtypes")
  public OnChainDevice deviceOf(byte[] deviceId) {
    Function f = new Function("deviceOf", List.of(new Bytes32(deviceId)), List.of(new TypeReference<Address>() {},
        new TypeReference<Uint8>() {}, new TypeReference<Uint8>() {}, new TypeReference<Uint8>() {}));
    List<Type> out = decode(f);
    return new OnChainDevice(out.get(0).toString(), ((BigInteger) out.get(1).getValue()).intValue(),
        ((BigInteger) out.get(2).getValue()).intValue(), ((BigInteger) out.get(3).getValue()).intValue());
  }

  public BigInteger nonce(byte[] deviceId) {
    Function f = new Function("nonces", List.of(new Bytes32(deviceId)), List.of(new TypeReference<Uint256>() {}));
    return (BigInteger) decode(f).get(0).getValue();
  }

  /** The EIP-712 digest a secp256k1 device signs to register itself, as the contract computes it. */
  public byte[] registrationDigest(byte[] deviceId, String owner, int kind, BigInteger nonce) {
    Function f = new Function("registrationDigest", List.of(new Bytes32(deviceId), new Address(owner), new Uint8(kind),
        new Uint256(nonce)), List.of(new TypeReference<Bytes32>() {}));
    return (byte[]) decode(f).get(0).getValue();
  }

  public boolean isCoordinator(String account) {
    Function f = new Function("isCoordinator", List.of(new Address(account)), List.of(new TypeReference<Bool>() {}));
    return (Boolean) decode(f).get(0).getValue();
  }

  @SuppressWarnings("rawtypes")
  private List<Type> decode(Function f) {
    List<Type> out = FunctionReturnDecoder.decode(chain.call(address, FunctionEncoder.encode(f)), f.getOutputParameters());
    if (out.isEmpty()) {
      throw new ChainException("no DeviceRegistry contract at " + address, false);
    }
    return out;
  }
}
