package dev.popw.coordinator.chain;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * A JSON-RPC connection to an EVM chain with the coordinator's account: EIP-1559 transactions
 * signed locally, gas estimation, receipts, calls and logs. Every failure is a {@link
 * ChainException}; an unreachable node or an RPC error is retryable, a revert is not.
 */
public final class EvmClient implements AutoCloseable {
  /** Custom errors of the PoPW contracts, by selector, so that a revert reads as its name. */
  private static final Map<String, String> ERRORS = new HashMap<>();

  static {
    // Every custom error in the contracts' ABIs.
    for (String name : ContractArtifacts.ALL) {
      for (com.fasterxml.jackson.databind.JsonNode e : ContractArtifacts.artifact(name).get("abi")) {
        if ("error".equals(e.path("type").asText())) {
          StringBuilder sig = new StringBuilder(e.get("name").asText()).append('(');
          for (int i = 0; i < e.get("inputs").size(); i++) {
            sig.append(i == 0 ? "" : ",").append(e.get("inputs").get(i).get("type").asText());
          }
          String signature = sig.append(')').toString();
          ERRORS.put(Hash.sha3String(signature).substring(0, 10), signature);
        }
      }
    }
  }

  private final String url;
  private final Web3j web3j;
  private final Credentials credentials;
  private final long chainId;

  private EvmClient(String url, Web3j web3j, Credentials credentials, long chainId) {
    this.url = url;
    this.web3j = web3j;
    this.credentials = credentials;
    this.chainId = chainId;
  }

  /**
   * Connects and checks the chain id.
   *
   * @param expectedChainId the chain id the settings name; 0 accepts whatever the node reports
   * @throws ChainException if the node cannot be reached (retryable) or reports another chain id
   */
  public static EvmClient connect(String url, Credentials credentials, long expectedChainId) {
    OkHttpClient http = new OkHttpClient.Builder()
        .connectTimeout(5, TimeUnit.SECONDS).readTimeout(30, TimeUnit.SECONDS).build();
    Web3j web3j = Web3j.build(new HttpService(url, http));
    long id;
    try {
      id = check(web3j.ethChainId().send(), "eth_chainId").getChainId().longValueExact();
    } catch (IOException e) {
      if (expectedChainId != 0) {
        // Start anyway: settlement retries until the node is back, and batches queue meanwhile.
        org.slf4j.LoggerFactory.getLogger(EvmClient.class).warn("chain at {} unreachable ({}); settlement waits for it", url, e.getMessage());
        return new EvmClient(url, web3j, credentials, expectedChainId);
      }
      web3j.shutdown();
      throw new ChainException("cannot reach the chain at " + url + " (" + e.getMessage() + ")", e, true);
    }
    if (expectedChainId != 0 && id != expectedChainId) {
      web3j.shutdown();
      throw new ChainException("the node at " + url + " serves chain id " + id + ", the settings say " + expectedChainId, false);
    }
    return new EvmClient(url, web3j, credentials, id);
  }

  public long chainId() {
    return chainId;
  }

  public String url() {
    return url;
  }

  /** The coordinator's account address, lower-case hex. */
  public String address() {
    return credentials.getAddress();
  }

  public BigInteger blockNumber() {
    return rpc("eth_blockNumber", () -> web3j.ethBlockNumber().send()).getBlockNumber();
  }

  /** The account's next nonce, counting transactions in the node's pool. */
  public BigInteger pendingNonce() {
    return rpc("eth_getTransactionCount", () -> web3j.ethGetTransactionCount(address(), DefaultBlockParameterName.PENDING).send())
        .getTransactionCount();
  }

  /** The account's nonce in the latest block. */
  public BigInteger minedNonce() {
    return rpc("eth_getTransactionCount", () -> web3j.ethGetTransactionCount(address(), DefaultBlockParameterName.LATEST).send())
        .getTransactionCount();
  }

  public BigInteger balance() {
    return rpc("eth_getBalance", () -> web3j.ethGetBalance(address(), DefaultBlockParameterName.LATEST).send()).getBalance();
  }

  /** The deployed code at an address ("0x" when none). */
  public String code(String address) {
    return rpc("eth_getCode", () -> web3j.ethGetCode(address, DefaultBlockParameterName.LATEST).send()).getCode();
  }

  /** eth_call from the coordinator's account; returns the ABI-encoded result. */
  public String call(String to, String data) {
    var r = rpcRaw("eth_call", () -> web3j.ethCall(Transaction.createEthCallTransaction(address(), to, data), DefaultBlockParameterName.LATEST).send());
    if (r.hasError()) {
      throw revert("call to " + to, r.getError());
    }
    return r.getValue();
  }

  /**
   * eth_estimateGas for a call from the coordinator's account, with 20% headroom.
   *
   * @throws ChainException (not retryable) naming the contract error when the call would revert
   */
  public BigInteger estimateGas(String to, String data) {
    var r = rpcRaw("eth_estimateGas", () -> web3j.ethEstimateGas(
        Transaction.createFunctionCallTransaction(address(), null, null, null, to, BigInteger.ZERO, data)).send());
    if (r.hasError()) {
      throw revert(to == null ? "contract creation" : "transaction to " + to, r.getError());
    }
    BigInteger g = r.getAmountUsed();
    return g.add(g.divide(BigInteger.valueOf(5)));
  }

  /** EIP-1559 fees: {maxPriorityFeePerGas, maxFeePerGas}, with maxFee = 2 x base fee + tip. */
  public BigInteger[] fees() {
    BigInteger tip = rpc("eth_maxPriorityFeePerGas", () -> web3j.ethMaxPriorityFeePerGas().send()).getMaxPriorityFeePerGas();
    BigInteger base = rpc("eth_getBlockByNumber", () -> web3j.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send())
        .getBlock().getBaseFeePerGas();
    if (base == null) {
      base = BigInteger.ZERO;
    }
    return new BigInteger[] {tip, base.shiftLeft(1).add(tip)};
  }

  private final Object sendLock = new Object();

  /**
   * Held from reading the pending nonce to broadcasting, by every sender of this account's
   * transactions in this process (batch settlement, attestations, reward roots), so two never sign
   * with the same nonce.
   */
  public Object sendLock() {
    return sendLock;
  }

  /** A locally signed transaction: what to store before broadcasting it. */
  public record SignedTransaction(String hash, String raw, long nonce) {}

  /** Signs an EIP-1559 call (or contract creation when {@code to} is null) without sending it. */
  public SignedTransaction sign(String to, String data, long nonce, BigInteger gasLimit, BigInteger[] fees) {
    RawTransaction tx = RawTransaction.createTransaction(chainId, BigInteger.valueOf(nonce), gasLimit,
        to == null ? "" : to, BigInteger.ZERO, data, fees[0], fees[1]);
    byte[] signed = TransactionEncoder.signMessage(tx, chainId, credentials);
    return new SignedTransaction(Numeric.toHexString(Hash.sha3(signed)), Numeric.toHexString(signed), nonce);
  }

  /**
   * Broadcasts a signed transaction. Sending one the node already has, or one already mined, is
   * not an error: broadcasting is idempotent, so a restarted coordinator can simply send again.
   *
   * @return false when the node refused it because the nonce is used (mined, by this or another tx)
   */
  public boolean broadcast(String raw) {
    var r = rpcRaw("eth_sendRawTransaction", () -> web3j.ethSendRawTransaction(raw).send());
    if (!r.hasError()) {
      return true;
    }
    String m = r.getError().getMessage().toLowerCase(java.util.Locale.ROOT);
    if (m.contains("already known") || m.contains("already imported") || m.contains("known transaction")) {
      return true;
    }
    if (m.contains("nonce too low") || m.contains("nonce is too low")) {
      return false;
    }
    throw new ChainException("the node refused the transaction: " + r.getError().getMessage(), true);
  }

  public Optional<TransactionReceipt> receipt(String txHash) {
    return rpc("eth_getTransactionReceipt", () -> web3j.ethGetTransactionReceipt(txHash).send()).getTransactionReceipt();
  }

  /** Polls for a receipt. */
  public TransactionReceipt awaitReceipt(String txHash, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<TransactionReceipt> r = receipt(txHash);
      if (r.isPresent()) {
        return r.get();
      }
      if (System.nanoTime() > deadline) {
        throw new ChainException("transaction " + txHash + " not mined within " + timeout.toSeconds() + " s", true);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ChainException("interrupted while waiting for " + txHash, e, true);
      }
    }
  }

  /**
   * Sends a transaction now and waits for it to be mined: for deployment and administration, not
   * for settlement (which stores the signed transaction before sending it).
   *
   * @throws ChainException if it reverts
   */
  public TransactionReceipt execute(String to, String data) {
    BigInteger gas = estimateGas(to, data);
    SignedTransaction tx;
    synchronized (sendLock) {
      tx = sign(to, data, pendingNonce().longValueExact(), gas, fees());
      broadcast(tx.raw());
    }
    TransactionReceipt r = awaitReceipt(tx.hash(), Duration.ofMinutes(5));
    if (!r.isStatusOK()) {
      throw new ChainException("transaction " + tx.hash() + " reverted", false);
    }
    return r;
  }

  /** Logs of one contract with the given topics (null matches any), from a block on. */
  public List<Log> logs(String address, BigInteger fromBlock, String... topics) {
    EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(fromBlock), DefaultBlockParameterName.LATEST, address);
    for (String t : topics) {
      if (t == null) {
        f.addNullTopic();
      } else {
        f.addSingleTopic(t);
      }
    }
    EthLog r = rpc("eth_getLogs", () -> web3j.ethGetLogs(f).send());
    return r.getLogs().stream().map(l -> (Log) l.get()).toList();
  }

  @Override
  public void close() {
    web3j.shutdown();
  }

  private interface Rpc<T> {
    T send() throws IOException;
  }

  private <T extends Response<?>> T rpcRaw(String method, Rpc<T> call) {
    try {
      return call.send();
    } catch (IOException e) {
      throw new ChainException(method + " to " + url + " failed: " + e.getMessage(), e, true);
    }
  }

  private <T extends Response<?>> T rpc(String method, Rpc<T> call) {
    return check(rpcRaw(method, call), method);
  }

  private static <T extends Response<?>> T check(T r, String method) {
    if (r.hasError()) {
      throw new ChainException(method + " failed: " + r.getError().getMessage(), true);
    }
    return r;
  }

  private static ChainException revert(String what, Response.Error error) {
    if (!error.getMessage().toLowerCase(java.util.Locale.ROOT).contains("revert")) {
      return new ChainException(what + " failed: " + error.getMessage(), true);
    }
    String data = error.getData();
    String name = null;
    if (data != null) {
      String d = data.replace("\"", "");
      if (d.length() >= 10) {
        name = ERRORS.get(d.substring(0, 10));
      }
    }
    return new ChainException(what + " would revert: " + (name != null ? name : error.getMessage()), false);
  }
}
