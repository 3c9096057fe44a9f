package dev.popw.coordinator.ingest;

import dev.popw.identity.DeviceSigner;
import dev.popw.proto.v1.Receipt;
import dev.popw.receipt.Receipts;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs the receipts of committed envelopes in groups, one Ed25519 signature per group over the
 * root of a Merkle tree of its receipts ({@link Receipts#signBatch}): each receipt travels with
 * its path to the signed root. One thread takes whatever is waiting, up to {@link #MAX_BATCH}, so
 * a lone receipt is signed at once, alone, and under load one signature covers many (the receipts
 * of one database commit arrive together). The signature was a fifth of the verify threads' CPU
 * per envelope (issue 18, docs/benchmarks.md).
 *
 * <p>A receipt is delivered (published, or put in a CoAP response) on this thread. If signing a
 * group fails, each of its receipts is signed alone; one that still fails is dropped, and the
 * device, having no receipt, sends the envelope again and gets DUPLICATE.
 */
public final class ReceiptBatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReceiptBatcher.class);
  /** Most receipts under one signature: a path of at most 8 hashes (272 bytes more per receipt). */
  public static final int MAX_BATCH = 256;

  private final DeviceSigner key;
  private final Clock clock;
  private final GroupWorker<Request> worker;
  private final LongAdder signatures = new LongAdder();
  private final LongAdder signed = new LongAdder();

  private record Request(IngestResult result, Consumer<byte[]> deliver) {}

  /** @param key the coordinator's Ed25519 receipt key */
  public ReceiptBatcher(DeviceSigner key, Clock clock) {
    this.key = java.util.Objects.requireNonNull(key, "key");
    this.clock = clock;
    this.worker = new GroupWorker<>("popw-receipt-signer", MAX_BATCH, java.time.Duration.ZERO, this::sign);
  }

  /**
   * Signs {@code result}'s receipt soon and hands the serialized {@code SignedReceipt} to {@code
   * deliver}, on the signing thread. After {@link #close} it signs alone, on the caller's thread.
   */
  public void submit(IngestResult result, Consumer<byte[]> deliver) {
    if (!worker.running()) {
      sign(List.of(new Request(result, deliver)));
      return;
    }
    worker.add(new Request(result, deliver));
  }

  /** Signatures made and receipts signed since start: their ratio is the receipts per signature. */
  public long[] counts() {
    return new long[] {signatures.sum(), signed.sum()};
  }

  private void sign(List<Request> batch) {
    long now = clock.millis();
    List<Receipt> receipts = new ArrayList<>(batch.size());
    for (Request r : batch) {
      receipts.add(r.result.toReceipt(now));
    }
    List<byte[]> out;
    try {
      out = Receipts.signBatch(receipts, key);
      signatures.increment();
    } catch (RuntimeException e) {
      LOG.warn("signing {} receipts together failed ({}); signing each alone", batch.size(), e.toString());
      out = new ArrayList<>(batch.size());
      for (Receipt r : receipts) {
        try {
          out.add(Receipts.sign(r, key));
          signatures.increment();
        } catch (RuntimeException again) {
          out.add(null); // no receipt: the device resends
        }
      }
    }
    signed.add(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      if (out.get(i) == null) {
        continue;
      }
      try {
        batch.get(i).deliver.accept(out.get(i));
      } catch (RuntimeException e) {
        LOG.debug("delivering a receipt failed: {}", e.toString()); // the device resends and gets DUPLICATE
      }
    }
  }

  /** Signs and delivers what is queued, then stops; a receipt queued too late is signed here. */
  @Override
  public void close() {
    List<Request> rest = worker.close(10_000);
    if (!rest.isEmpty()) {
      sign(rest);
    }
  }
}
