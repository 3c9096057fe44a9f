package dev.popw.coordinator.chain;

import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.util.HexFormat;
import dev.popw.testing.TestKeys;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.web3j.abi.TypeEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.ContractUtils;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

/**
 * The EIP-712 self-registration vector published in docs/wire-format.md: the digest a secp256k1
 * device signs for {@code DeviceRegistry.registerSelfSigned}, computed here from the EIP-712 rules
 * (the contract computes it with OpenZeppelin's {@code EIP712}). The device key is the sdk's fixed
 * secp256k1 test key (anvil's account #0), the owner anvil's account #1, kind SENSOR, nonce 0,
 * chain 31337 and the contract at the address of the first contract account #0 deploys on a fresh
 * chain (where a dev chain and {@code ChainIT} deploy the DeviceRegistry). Run {@link #main} to print
 * it; {@code SelfRegistrationVectorTest} and {@code ChainIT} check it.
 */
public final class SelfRegistrationVector {
  static final String OWNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  static final int KIND = 1;
  static final BigInteger NONCE = BigInteger.ZERO;
  static final long CHAIN_ID = 31337;
  static final String DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
  static final String REGISTER_TYPE = "Register(bytes32 deviceId,address owner,uint8 kind,uint256 nonce)";

  private SelfRegistrationVector() {}

  /** The address of the first contract that anvil's account #0 deploys on a fresh chain. */
  static String contract() {
    String deployer = Credentials.create(TestKeys.SECP256K1_SCALAR).getAddress();
    return Keys.toChecksumAddress(ContractUtils.generateContractAddress(deployer, BigInteger.ZERO));
  }

  /** The vector, as name -> value. */
  public static Map<String, String> compute() {
    SoftwareSigner signer = TestKeys.signer(KeyType.ECDSA_SECP256K1);
    DeviceId did = signer.deviceId();
    ECKeyPair key = ECKeyPair.create(Numeric.toBigInt(TestKeys.SECP256K1_SCALAR));
    byte[] publicKey64 = Numeric.toBytesPadded(key.getPublicKey(), 64);
    byte[] deviceId = DeviceRegistryContract.deviceIdOf(did);
    String contract = contract();
    byte[] domain = Hash.sha3(Numeric.hexStringToByteArray(
        TypeEncoder.encode(new Bytes32(keccak(DOMAIN_TYPE)))
            + TypeEncoder.encode(new Bytes32(keccak("PoPW DeviceRegistry")))
            + TypeEncoder.encode(new Bytes32(keccak("1")))
            + TypeEncoder.encode(new Uint256(CHAIN_ID))
            + TypeEncoder.encode(new Address(contract))));
    byte[] typehash = keccak(REGISTER_TYPE);
    byte[] struct = Hash.sha3(Numeric.hexStringToByteArray(
        TypeEncoder.encode(new Bytes32(typehash))
            + TypeEncoder.encode(new Bytes32(deviceId))
            + TypeEncoder.encode(new Address(OWNER))
            + TypeEncoder.encode(new Uint256(KIND))
            + TypeEncoder.encode(new Uint256(NONCE))));
    byte[] prefixed = new byte[66];
    prefixed[0] = 0x19;
    prefixed[1] = 0x01;
    System.arraycopy(domain, 0, prefixed, 2, 32);
    System.arraycopy(struct, 0, prefixed, 34, 32);
    byte[] digest = Hash.sha3(prefixed);
    Sign.SignatureData sig = Sign.signMessage(digest, key, false);
    Map<String, String> v = new LinkedHashMap<>();
    v.put("device_private_key", TestKeys.SECP256K1_SCALAR);
    v.put("device_public_key", HexFormat.of().formatHex(signer.publicKey()));
    v.put("device_public_key_xy", HexFormat.of().formatHex(publicKey64));
    v.put("device_address", did.evmAddress().orElseThrow().toString());
    v.put("device_id", HexFormat.of().formatHex(deviceId));
    v.put("owner", OWNER);
    v.put("kind", String.valueOf(KIND));
    v.put("nonce", NONCE.toString());
    v.put("chain_id", String.valueOf(CHAIN_ID));
    v.put("verifying_contract", contract);
    v.put("domain_separator", HexFormat.of().formatHex(domain));
    v.put("register_typehash", HexFormat.of().formatHex(typehash));
    v.put("struct_hash", HexFormat.of().formatHex(struct));
    v.put("digest", HexFormat.of().formatHex(digest));
    v.put("signature", HexFormat.of().formatHex(sig.getR()) + HexFormat.of().formatHex(sig.getS()) + HexFormat.of().formatHex(sig.getV()));
    return v;
  }

  private static byte[] keccak(String text) {
    return Hash.sha3(text.getBytes(StandardCharsets.UTF_8));
  }

  public static void main(String[] args) {
    System.out.println("### eip712 self-registration");
    System.out.println("```");
    compute().forEach((k, val) -> System.out.println(k + ": " + val));
    System.out.println("```");
  }
}
