package dev.popw.coordinator.chain;

import java.math.BigInteger;
import java.util.List;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Int256;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.crypto.ContractUtils;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * The rewards contracts ({@code contracts/src}: PopwToken, RewardsDistributor, DataCredits,
 * DevPriceFeed, Staking) as deployed addresses, with their calldata encoders and views
 * (docs/rewards.md).
 *
 * @param token PopwToken
 * @param distributor RewardsDistributor
 * @param credits DataCredits
 * @param priceFeed the price feed DataCredits reads (a DevPriceFeed on development chains)
 * @param staking Staking
 */
public record RewardsContracts(String token, String distributor, String credits, String priceFeed, String staking) {

  /**
   * The deployment parameters (docs/rewards.md says what each means and its default).
   *
   * @param genesis Unix seconds where epoch 0 starts
   * @param initialEpochEmission tokens (wei, 18 decimals) emitted per epoch before the first halving
   */
  public record Parameters(long genesis, long epochLengthSeconds, BigInteger initialEpochEmission, long halvingEpochs,
      long maxRootMultiple, long unbondingDelaySeconds, int slashBps, int bountyBps, long maxPriceAgeSeconds, BigInteger initialPrice) {

    /** Development defaults: daily epochs from {@code genesis}, 1,000,000 tokens per epoch halving every 730 epochs (two years). */
    public static Parameters defaults(long genesis) {
      return new Parameters(genesis, 86_400, BigInteger.TEN.pow(24), 730, 5, 7 * 86_400, 5_000, 1_000, 3_600,
          BigInteger.valueOf(50_000_000)); // $0.50 with 8 decimals
    }

    public Parameters withEpochLength(long seconds) {
      return new Parameters(genesis, seconds, initialEpochEmission, halvingEpochs, maxRootMultiple, unbondingDelaySeconds, slashBps,
          bountyBps, maxPriceAgeSeconds, initialPrice);
    }
  }

  /**
   * Deploys the five contracts with the client's account as admin and authorizes {@code
   * coordinator} on the distributor, the credits and the staking contract. The token is deployed
   * first and told the distributor's address, which the deployer's next nonce fixes.
   */
  public static RewardsContracts deploy(EvmClient chain, String coordinator, Parameters p) {
    String admin = chain.address();
    BigInteger nonce = chain.pendingNonce();
    String predictedDistributor = ContractUtils.generateContractAddress(admin, nonce.add(BigInteger.ONE));
    TransactionReceipt token = chain.execute(null, ContractArtifacts.bytecode("PopwToken") + FunctionEncoder.encodeConstructor(List.of(
        new Address(predictedDistributor), new Uint256(p.genesis()), new Uint256(p.epochLengthSeconds()), new Uint256(p.initialEpochEmission()),
        new Uint256(p.halvingEpochs()))));
    TransactionReceipt distributor = chain.execute(null, ContractArtifacts.bytecode("RewardsDistributor") + FunctionEncoder.encodeConstructor(
        List.of(new Address(admin), new Address(token.getContractAddress()), new Uint256(p.maxRootMultiple()))));
    if (!distributor.getContractAddress().equalsIgnoreCase(predictedDistributor)) {
      throw new ChainException("the distributor was deployed at " + distributor.getContractAddress() + ", not at the predicted "
          + predictedDistributor + " (another transaction from the deployer's account came in between)", false);
    }
    TransactionReceipt feed = chain.execute(null, ContractArtifacts.bytecode("DevPriceFeed")
        + FunctionEncoder.encodeConstructor(List.of(new Address(admin), new Int256(p.initialPrice()))));
    TransactionReceipt credits = chain.execute(null, ContractArtifacts.bytecode("DataCredits") + FunctionEncoder.encodeConstructor(List.of(
        new Address(admin), new Address(token.getContractAddress()), new Address(feed.getContractAddress()), new Uint256(p.maxPriceAgeSeconds()))));
    TransactionReceipt staking = chain.execute(null, ContractArtifacts.bytecode("Staking") + FunctionEncoder.encodeConstructor(List.of(
        new Address(admin), new Address(token.getContractAddress()), new Uint256(p.unbondingDelaySeconds()), new Uint256(p.slashBps()),
        new Uint256(p.bountyBps()))));
    RewardsContracts r = new RewardsContracts(token.getContractAddress(), distributor.getContractAddress(), credits.getContractAddress(),
        feed.getContractAddress(), staking.getContractAddress());
    String authorize = ProofBatchRegistryContract.setCoordinatorData(coordinator, true);
    chain.execute(r.distributor(), authorize);
    chain.execute(r.credits(), authorize);
    chain.execute(r.staking(), authorize);
    return r;
  }

  // ----- calldata -----

  public static String commitRootData(long epoch, byte[] root, BigInteger totalOwed) {
    return encode("commitRoot", new Uint64(epoch), new Bytes32(root), new Uint256(totalOwed));
  }

  /** A claim (sent to the token, which checks it against the root the distributor committed). */
  public static String claimData(String owner, BigInteger cumulative, List<byte[]> proof) {
    return encode("claim", new Address(owner), new Uint256(cumulative), bytes32s(proof));
  }

  /**
   * Claims for many owners (sent to the token): a multiproof from {@code MerkleTree.multiProof}, the
   * owners and amounts in its leaf order, the flags packed into bits.
   */
  public static String claimManyData(List<String> owners, List<BigInteger> cumulatives, List<byte[]> proof, List<Boolean> flags) {
    List<Uint256> words = new java.util.ArrayList<>();
    for (int w = 0; w * 256 < flags.size(); w++) {
      BigInteger bits = BigInteger.ZERO;
      for (int i = w * 256; i < Math.min(flags.size(), (w + 1) * 256); i++) {
        if (flags.get(i)) {
          bits = bits.setBit(i - w * 256);
        }
      }
      words.add(new Uint256(bits));
    }
    return encode("claimMany", new DynamicArray<>(Address.class, owners.stream().map(Address::new).toList()),
        new DynamicArray<>(Uint256.class, cumulatives.stream().map(Uint256::new).toList()), bytes32s(proof),
        new DynamicArray<>(Uint256.class, words), new Uint256(flags.size()));
  }

  public static String approveData(String spender, BigInteger amount) {
    return encode("approve", new Address(spender), new Uint256(amount));
  }

  public static String transferData(String to, BigInteger amount) {
    return encode("transfer", new Address(to), new Uint256(amount));
  }

  public static String burnForCreditsData(BigInteger tokens, String account) {
    return encode("burnForCredits", new Uint256(tokens), new Address(account));
  }

  public static String settleCreditsData(long epoch, byte[] spentRoot, List<String> accounts, List<BigInteger> spent) {
    return encode("settle", new Uint256(epoch), new Bytes32(spentRoot), new DynamicArray<>(Address.class, accounts.stream().map(Address::new).toList()),
        new DynamicArray<>(Uint256.class, spent.stream().map(Uint256::new).toList()));
  }

  public static String setPriceData(BigInteger price, long updatedAt) {
    return encode("setPrice", new Int256(price), new Uint256(updatedAt));
  }

  public static String stakeData(byte[] deviceId, BigInteger amount) {
    return encode("stake", new Bytes32(deviceId), new Uint256(amount));
  }

  public static String unbondData(byte[] deviceId, BigInteger amount) {
    return encode("unbond", new Bytes32(deviceId), new Uint256(amount));
  }

  public static String withdrawData(byte[] deviceId) {
    return encode("withdraw", new Bytes32(deviceId));
  }

  public static String slashEquivocationData(byte[] uncompressedKey, byte[] telemetryA, byte[] signatureA, byte[] telemetryB, byte[] signatureB) {
    return encode("slashEquivocation", new DynamicBytes(uncompressedKey), new DynamicBytes(telemetryA), new DynamicBytes(signatureA),
        new DynamicBytes(telemetryB), new DynamicBytes(signatureB));
  }

  public static String slashAttestedData(byte[] deviceId, long sequence, byte[] evidenceHash) {
    return encode("slashAttested", new Bytes32(deviceId), new Uint64(sequence), new Bytes32(evidenceHash));
  }

  // ----- views -----

  public BigInteger balanceOf(EvmClient chain, String account) {
    return uint(chain, token, "balanceOf", new Address(account));
  }

  public BigInteger claimedOf(EvmClient chain, String account) {
    return uint(chain, token, "claimedOf", new Address(account));
  }

  public BigInteger totalSupply(EvmClient chain) {
    return uint(chain, token, "totalSupply");
  }

  public BigInteger emissionOf(EvmClient chain, long epoch) {
    return uint(chain, token, "emissionOf", new Uint256(epoch));
  }

  public BigInteger epochAt(EvmClient chain, long timestamp) {
    return uint(chain, token, "epochAt", new Uint256(timestamp));
  }

  /** The epoch of the distributor's latest root (0 before the first). */
  public long latestEpoch(EvmClient chain) {
    Function f = new Function("epoch", List.of(), List.of(new TypeReference<Uint64>() {}));
    return ((BigInteger) FunctionReturnDecoder.decode(chain.call(distributor, FunctionEncoder.encode(f)), f.getOutputParameters()).get(0)
        .getValue()).longValueExact();
  }

  public BigInteger totalOwed(EvmClient chain) {
    return uint(chain, distributor, "totalOwed");
  }

  public BigInteger creditsOf(EvmClient chain, String account) {
    return uint(chain, credits, "creditsOf", new Address(account));
  }

  public BigInteger burnedInEpoch(EvmClient chain, long epoch) {
    return uint(chain, credits, "burnedInEpoch", new Uint256(epoch));
  }

  /** A device's stake: owner, amount, unbonding, release time. */
  public record Stake(String owner, BigInteger amount, BigInteger unbonding, long releaseAt) {}

  @SuppressWarnings("rawtypes")
  public Stake stakeOf(EvmClient chain, byte[] deviceId) {
    Function f = new Function("stakeOf", List.of(new Bytes32(deviceId)), List.of(new TypeReference<Address>() {},
        new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {}, new TypeReference<Uint64>() {}));
    List<Type> out = FunctionReturnDecoder.decode(chain.call(staking, FunctionEncoder.encode(f)), f.getOutputParameters());
    return new Stake((String) out.get(0).getValue(), (BigInteger) out.get(1).getValue(), (BigInteger) out.get(2).getValue(),
        ((BigInteger) out.get(3).getValue()).longValueExact());
  }

  private static DynamicArray<Bytes32> bytes32s(List<byte[]> values) {
    return new DynamicArray<>(Bytes32.class, values.stream().map(Bytes32::new).toList());
  }

  @SuppressWarnings("rawtypes")
  private static String encode(String name, Type... args) {
    return FunctionEncoder.encode(new Function(name, List.of(args), List.of()));
  }

  @SuppressWarnings("rawtypes")
  private static BigInteger uint(EvmClient chain, String contract, String name, Type... args) {
    Function f = new Function(name, List.of(args), List.of(new TypeReference<Uint256>() {}));
    List<Type> out = FunctionReturnDecoder.decode(chain.call(contract, FunctionEncoder.encode(f)), f.getOutputParameters());
    if (out.isEmpty()) {
      throw new ChainException("no contract answering " + name + " at " + contract, false);
    }
    return (BigInteger) out.get(0).getValue();
  }
}
