package dev.popw.coordinator.chain;

import dev.popw.coordinator.batch.Settlement;
import dev.popw.coordinator.store.BatchSettlement;
import dev.popw.coordinator.store.SealedBatch;
import dev.popw.coordinator.store.Store;
import dev.popw.identity.DeviceId;
import dev.popw.identity.EvmAddress;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.web3j.abi.TypeEncoder;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits sealed batches to {@code ProofBatchRegistry} and attests registered devices in {@code
 * DeviceRegistry}, from one background thread, strictly in batch order.
 *
 * <p>A batch goes SEALED → SUBMITTED → CONFIRMED. Never twice:
 *
 * <ol>
 *   <li>Before sending, the chain is asked whether the batch id already holds a root ({@code
 *       rootOf}); if it holds this root, the commit is looked up from its event instead of sent.
 *   <li>The signed transaction (and its hash and nonce) is written to the database before it is
 *       broadcast. After a restart the same bytes are broadcast again, which the node treats as a
 *       no-op or refuses as a used nonce; a new transaction is signed only after {@code rootOf}
 *       shows the batch is still not committed.
 *   <li>The contract itself ignores a second commit of the same root for the same id.
 * </ol>
 *
 * While the chain is unreachable every RPC failure is retried with backoff (1 s doubling to 30 s);
 * batches queue in the database and settle later, in order.
 */
public final class ChainSettlement implements Settlement {
  private static final Logger LOG = LoggerFactory.getLogger(ChainSettlement.class);
  private static final long DAY_MS = 86_400_000L;

  private final Store store;
  private final EvmClient chain;
  private final ProofBatchRegistryContract batches;
  private final DeviceRegistryContract devices;
  private final ChainSettings settings;
  private final String networkId;
  private final Clock clock;
  private volatile java.util.function.LongConsumer confirmed = id -> {};
  private final Thread worker;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private volatile boolean running = true;
  private volatile boolean wake;
  private volatile String lastError;
  private volatile boolean reachable = true;

  @Override
  public void onConfirmed(java.util.function.LongConsumer listener) {
    this.confirmed = listener;
  }

  public ChainSettlement(Store store, EvmClient chain, Deployment deployment, ChainSettings settings, String networkId, Clock clock) {
    this.store = store;
    this.chain = chain;
    this.batches = new ProofBatchRegistryContract(chain, deployment.batchRegistry());
    this.devices = new DeviceRegistryContract(chain, deployment.deviceRegistry());
    this.settings = settings;
    this.networkId = networkId;
    this.clock = clock;
    this.worker = new Thread(this::run, "popw-settlement");
    this.worker.setDaemon(true);
  }

  public ChainSettlement start() {
    worker.start();
    return this;
  }

  private volatile java.util.function.BooleanSupplier role = () -> true;

  /**
   * On a cluster node: settles (and attests devices) only while {@code role} says this node holds
   * the settlement role (docs/scale-out.md). The work is read from the database, so the node that
   * takes the role over continues where the last one stopped.
   */
  public ChainSettlement role(java.util.function.BooleanSupplier role) {
    this.role = java.util.Objects.requireNonNull(role, "role");
    return this;
  }

  @Override
  public void submit(SealedBatch batch) {
    poke();
  }

  /** Asks the worker to look for work now (a batch was sealed or a device registered). */
  public void poke() {
    lock.lock();
    try {
      wake = true;
      work.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String name() {
    return "evm (chain " + chain.chainId() + ", " + batches.address() + ")";
  }

  /** Whether the last chain call succeeded. */
  public boolean reachable() {
    return reachable;
  }

  /** The last settlement error, or null. */
  public String lastError() {
    return lastError;
  }

  public EvmClient chain() {
    return chain;
  }

  public ProofBatchRegistryContract batchRegistry() {
    return batches;
  }

  public DeviceRegistryContract deviceRegistry() {
    return devices;
  }

  /** The epoch a batch counts towards: its sealing day, in days since 1970-01-01 UTC. */
  public static long epochOf(SealedBatch b) {
    return b.sealedAt() / DAY_MS;
  }

  /** keccak256(abi.encode(keccak256(networkId), batchId, count, sealedAt)): ties the commit to this network's batch record. */
  public static byte[] metadataHash(String networkId, SealedBatch b) {
    String enc = TypeEncoder.encode(new Bytes32(Hash.sha3(networkId.getBytes(StandardCharsets.UTF_8))))
        + TypeEncoder.encode(new Uint256(b.id())) + TypeEncoder.encode(new Uint256(b.envelopeCount()))
        + TypeEncoder.encode(new Uint256(b.sealedAt()));
    return Hash.sha3(org.web3j.utils.Numeric.hexStringToByteArray(enc));
  }

  private void run() {
    long backoffMs = 1000;
    while (running) {
      boolean busy;
      if (!role.getAsBoolean()) {
        sleep(settings.pollInterval().toMillis());
        continue;
      }
      try {
        busy = attestDevices() | settleOne();
        reachable = true;
        backoffMs = 1000;
      } catch (ChainException e) {
        lastError = e.getMessage();
        if (e.retryable()) {
          if (reachable) {
            LOG.warn("chain unreachable, batches queue until it is back: {}", e.getMessage());
          }
          reachable = false;
        } else {
          LOG.error("settlement stopped on an error it cannot retry away; retrying in {} s: {}", backoffMs / 1000, e.getMessage());
        }
        sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 30_000);
        continue;
      } catch (RuntimeException e) {
        lastError = e.toString();
        LOG.error("settlement error; retrying in {} s", backoffMs / 1000, e);
        sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 30_000);
        continue;
      }
      if (!busy) {
        sleep(settings.pollInterval().toMillis());
      }
    }
  }

  /** Works on the oldest unsettled batch; true when it made progress worth an immediate next step. */
  private boolean settleOne() {
    Optional<BatchSettlement> next = store.batches().oldestUnsettled();
    if (next.isEmpty()) {
      return false;
    }
    BatchSettlement s = next.get();
    SealedBatch b = s.batch();
    if (BatchSettlement.SEALED.equals(s.status())) {
      return send(b);
    }
    if (s.blockNumber() == null) {
      return awaitInclusion(s);
    }
    return awaitConfirmations(s);
  }

  private boolean send(SealedBatch b) {
    Optional<byte[]> onChain = batches.rootOf(chain.address(), b.id());
    if (onChain.isPresent()) {
      return adoptExisting(b, onChain.get());
    }
    String data = ProofBatchRegistryContract.commitData(b.id(), b.merkleRoot(), b.envelopeCount(), epochOf(b), metadataHash(networkId, b));
    BigInteger gas = chain.estimateGas(batches.address(), data);
    long nonce;
    EvmClient.SignedTransaction tx;
    synchronized (chain.sendLock()) {
      nonce = chain.pendingNonce().longValueExact();
      tx = chain.sign(batches.address(), data, nonce, gas, chain.fees());
      store.batches().markSubmitted(b.id(), tx.hash(), nonce, tx.raw(), chain.chainId(), clock.millis());
      chain.broadcast(tx.raw());
    }
    LOG.info("batch {} submitted: tx {} (nonce {})", b.id(), tx.hash(), nonce);
    return true;
  }

  /** The batch id already holds a root on-chain: ours (find its commit) or another (a conflict). */
  private boolean adoptExisting(SealedBatch b, byte[] root) {
    if (!java.util.Arrays.equals(root, b.merkleRoot())) {
      String note = "batch id " + b.id() + " already holds another root on-chain (0x" + java.util.HexFormat.of().formatHex(root)
          + "); was the coordinator database reset while the chain kept its state?";
      LOG.error(note);
      store.batches().markFailed(b.id(), note);
      return true;
    }
    List<Log> events = batches.commitEvents(chain.address(), b.id());
    if (events.isEmpty()) {
      throw new ChainException("batch " + b.id() + " is committed but its event is not visible yet", true);
    }
    Log e = events.get(0);
    store.batches().markIncluded(b.id(), e.getTransactionHash(), e.getBlockNumber().longValueExact());
    LOG.info("batch {} was already committed in tx {} (block {})", b.id(), e.getTransactionHash(), e.getBlockNumber());
    return true;
  }

  private boolean awaitInclusion(BatchSettlement s) {
    Optional<TransactionReceipt> r = chain.receipt(s.txHash());
    if (r.isPresent()) {
      if (r.get().isStatusOK()) {
        store.batches().markIncluded(s.batch().id(), s.txHash(), r.get().getBlockNumber().longValueExact());
        return true;
      }
      // Reverted: only a conflicting commit can do that once estimation passed. Look at the chain.
      Optional<byte[]> onChain = batches.rootOf(chain.address(), s.batch().id());
      if (onChain.isPresent()) {
        return adoptExisting(s.batch(), onChain.get());
      }
      store.batches().markUnsubmitted(s.batch().id(), "commit " + s.txHash() + " reverted; sending again");
      return true;
    }
    Optional<byte[]> onChain = batches.rootOf(chain.address(), s.batch().id());
    if (onChain.isPresent()) {
      return adoptExisting(s.batch(), onChain.get()); // committed by a replacement of this tx
    }
    boolean accepted = chain.broadcast(s.txRaw()); // idempotent: same bytes, same hash
    if (!accepted && chain.minedNonce().longValueExact() > s.txNonce()) {
      // Our nonce was used by something else and the batch is not committed: sign anew.
      store.batches().markUnsubmitted(s.batch().id(), "nonce " + s.txNonce() + " used by another transaction; sending again");
      return true;
    }
    long age = clock.millis() - (s.submittedAt() == null ? 0 : s.submittedAt());
    if (age > settings.resubmitAfter().toMillis()) {
      resubmitWithHigherFees(s);
      return true;
    }
    return false;
  }

  /** Replaces a stuck commit: same nonce, fees at least 25% higher (nodes require +10%). */
  private void resubmitWithHigherFees(BatchSettlement s) {
    SealedBatch b = s.batch();
    String data = ProofBatchRegistryContract.commitData(b.id(), b.merkleRoot(), b.envelopeCount(), epochOf(b), metadataHash(networkId, b));
    BigInteger[] fees = chain.fees();
    org.web3j.crypto.SignedRawTransaction old = (org.web3j.crypto.SignedRawTransaction)
        org.web3j.crypto.TransactionDecoder.decode(s.txRaw());
    org.web3j.crypto.transaction.type.Transaction1559 t = (org.web3j.crypto.transaction.type.Transaction1559) old.getTransaction();
    BigInteger tip = fees[0].max(bump(t.getMaxPriorityFeePerGas()));
    BigInteger max = fees[1].max(bump(t.getMaxFeePerGas())).max(tip);
    EvmClient.SignedTransaction tx = chain.sign(batches.address(), data, s.txNonce(), old.getGasLimit(), new BigInteger[] {tip, max});
    store.batches().markSubmitted(b.id(), tx.hash(), s.txNonce(), tx.raw(), chain.chainId(), clock.millis());
    chain.broadcast(tx.raw());
    LOG.warn("batch {} commit not mined after {} s; replaced by tx {} with max fee {} wei", b.id(),
        settings.resubmitAfter().toSeconds(), tx.hash(), max);
  }

  private static BigInteger bump(BigInteger v) {
    return v.multiply(BigInteger.valueOf(5)).divide(BigInteger.valueOf(4)).add(BigInteger.ONE);
  }

  private boolean awaitConfirmations(BatchSettlement s) {
    long head = chain.blockNumber().longValueExact();
    if (head - s.blockNumber() + 1 < settings.confirmations()) {
      return false;
    }
    Optional<TransactionReceipt> r = chain.receipt(s.txHash());
    if (r.isEmpty() || r.get().getBlockNumber().longValueExact() != s.blockNumber()) {
      if (batches.rootOf(chain.address(), s.batch().id()).isEmpty()) {
        LOG.warn("batch {}: commit {} left the chain (reorg); sending again", s.batch().id(), s.txHash());
        store.batches().markUnsubmitted(s.batch().id(), "commit " + s.txHash() + " dropped by a reorg");
        return true;
      }
      if (r.isPresent()) {
        store.batches().markIncluded(s.batch().id(), s.txHash(), r.get().getBlockNumber().longValueExact());
        return true;
      }
      return false;
    }
    store.batches().markConfirmed(s.batch().id(), clock.millis());
    confirmed.accept(s.batch().id());
    LOG.info("batch {} confirmed: {} envelopes, tx {}, block {}", s.batch().id(), s.batch().envelopeCount(), s.txHash(), s.blockNumber());
    return true;
  }

  /** Attests, one at a time, devices registered here but not yet on-chain. */
  private boolean attestDevices() {
    List<DeviceId> todo = store.devices().devicesToAttest(16);
    for (DeviceId id : todo) {
      var rec = store.devices().device(id.toString()).orElse(null);
      if (rec == null) {
        continue;
      }
      byte[] chainId = DeviceRegistryContract.deviceIdOf(id);
      var current = devices.deviceOf(chainId);
      if (current.status() != 0) {
        if (current.owner().equalsIgnoreCase(rec.owner())) {
          store.devices().markDeviceChain(id, "ATTESTED", null, "already registered on-chain");
        } else {
          store.devices().markDeviceChain(id, "CONFLICT", null, "registered on-chain to " + current.owner()
              + "; an owner change on-chain is the current owner's transferDevice call");
        }
        continue;
      }
      TransactionReceipt r = chain.execute(devices.address(),
          DeviceRegistryContract.registerAttestedData(chainId, id.keyType().wireValue(), rec.owner(), rec.kind()));
      store.devices().markDeviceChain(id, "ATTESTED", r.getTransactionHash(), null);
      LOG.info("device {} attested on-chain for owner {} (tx {})", id, EvmAddress.parse(rec.owner()), r.getTransactionHash());
    }
    return !todo.isEmpty();
  }

  private void sleep(long ms) {
    lock.lock();
    try {
      if (!wake && running) {
        work.await(ms, TimeUnit.MILLISECONDS);
      }
      wake = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    running = false;
    poke();
    try {
      worker.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    chain.close();
  }
}
