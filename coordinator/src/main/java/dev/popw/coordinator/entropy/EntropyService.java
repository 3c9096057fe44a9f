package dev.popw.coordinator.entropy;

import com.google.protobuf.ByteString;
import dev.popw.coordinator.store.EntropyStore;
import dev.popw.coordinator.validation.IssuedEntropy;
import dev.popw.entropy.Entropies;
import dev.popw.identity.DeviceSigner;
import dev.popw.proto.v1.Entropy;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issues the beacon entropy: every {@code interval} on the injected clock, 32 fresh bytes from
 * {@link SecureRandom}, signed with the coordinator key ({@link Entropies#sign}), stored (it is
 * evidence: the coverage validator checks each beacon against it) and then published to every
 * publisher (the embedded broker or the external one, topic {@value #TOPIC}). The API serves the
 * latest ({@link #current()}). Thread-safe.
 *
 * <p>On a cluster's node ({@link #role}) issuing is a single role (docs/scale-out.md): only the
 * node holding it issues, stores and publishes, and before it issues it reads the latest stored
 * entropy, so that a node taking the role over continues the sequence; the number is stored only if
 * it is new ({@link EntropyStore#saveIfNew}), so two nodes that both believe they hold the role for
 * a moment cannot store one number twice, and the one that lost publishes nothing. The other nodes
 * serve the latest stored entropy, read again once the one they have is an interval old.
 */
public final class EntropyService implements AutoCloseable {
  /** The MQTT topic every authenticated device may subscribe to. */
  public static final String TOPIC = "popw/v1/network/entropy";
  private static final Logger LOG = LoggerFactory.getLogger(EntropyService.class);

  private final EntropyStore store;
  private final DeviceSigner key;
  private final String networkId;
  private final Duration interval;
  private final Duration window;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final List<BiConsumer<String, byte[]>> publishers = new CopyOnWriteArrayList<>();
  private EntropyStore.Stored latest; // guarded by this
  /** Null: the only issuer on its database. Otherwise whether this cluster node holds the issuing role. */
  private volatile BooleanSupplier role;
  private long readAtNanos; // a cluster node's last read of the store (guarded by this)
  private boolean read; // guarded by this
  /** A cluster node waiting for the holder's next entropy reads the store at most this often. */
  private static final long REREAD_NANOS = 100_000_000L;
  private final Object signal = new Object();
  private Thread thread;
  private volatile boolean running;

  public EntropyService(EntropyStore store, DeviceSigner coordinatorKey, String networkId, Duration interval, Duration window,
      Clock clock) {
    this.store = store;
    this.key = coordinatorKey;
    this.networkId = networkId;
    this.interval = interval;
    this.window = window;
    this.clock = clock;
  }

  /** Called with (topic, SignedEntropy bytes) for every entropy issued. */
  public void onIssued(BiConsumer<String, byte[]> publisher) {
    publishers.add(publisher);
  }

  /**
   * Makes this a cluster node's service: it issues only while {@code holder} says so (the cluster's
   * role lock), and otherwise serves what the holder stored.
   */
  public EntropyService role(BooleanSupplier holder) {
    this.role = java.util.Objects.requireNonNull(holder, "holder");
    return this;
  }

  /**
   * The latest entropy, issuing one first when none is due yet or the latest is an interval old. On
   * a cluster node that does not hold the issuing role: the latest stored, which is null until the
   * holder has issued the first.
   */
  public synchronized EntropyStore.Stored current() {
    long now = clock.millis();
    BooleanSupplier r = role;
    if (r != null) {
      return clustered(now, r.getAsBoolean());
    }
    if (latest == null) {
      latest = store.latest().orElse(null);
    }
    if (latest == null || now - latest.entropy().issuedAtMs() >= interval.toMillis()) {
      issue(now);
    }
    return latest;
  }

  private boolean due(long now) {
    return latest == null || now - latest.entropy().issuedAtMs() >= interval.toMillis();
  }

  /** A cluster node: the store is the truth, read when what this node has is due for replacement. */
  private EntropyStore.Stored clustered(long now, boolean holder) {
    if (due(now)) {
      long t = System.nanoTime();
      if (holder || !read || t - readAtNanos >= REREAD_NANOS) {
        // the holder reads too: it may have taken the role just now, after another node's last issue
        latest = store.latest().orElse(null);
        readAtNanos = t;
        read = true;
      }
      if (holder && due(now)) {
        issue(now);
      }
    }
    return latest;
  }

  /** An earlier entropy by its sequence number. */
  public Optional<EntropyStore.Stored> bySequence(long sequence) {
    return store.bySequence(sequence);
  }

  /** Issues entropy when due; what the background thread runs. */
  public void tick() {
    current();
  }

  private void issue(long now) {
    byte[] value = new byte[Entropies.VALUE_BYTES];
    random.nextBytes(value);
    long sequence = latest == null ? 1 : latest.entropy().sequence() + 1;
    Entropy e = Entropy.newBuilder().setValue(ByteString.copyFrom(value)).setSequence(sequence).setIssuedAtMs(now)
        .setExpiresAtMs(now + window.toMillis()).setNetworkId(networkId).build();
    byte[] signed = Entropies.sign(e, key);
    IssuedEntropy issued = new IssuedEntropy(sequence, value, now, now + window.toMillis());
    // Stored before anyone can see it: a beacon can only carry stored entropy.
    if (!store.saveIfNew(issued, signed)) {
      // another node stored this number first (it held the role a moment ago, or still believes so): serve its entropy
      latest = store.latest().orElse(null);
      LOG.info("entropy #{} was issued by another cluster node; this one publishes nothing", sequence);
      return;
    }
    latest = new EntropyStore.Stored(issued, signed);
    for (BiConsumer<String, byte[]> p : publishers) {
      try {
        p.accept(TOPIC, signed);
      } catch (RuntimeException x) {
        LOG.warn("publishing entropy #{} failed: {}", sequence, x.toString());
      }
    }
  }

  /** Checks the clock every {@code pollMs} in a daemon thread. */
  public EntropyService start(long pollMs) {
    running = true;
    thread = new Thread(() -> {
      while (running) {
        try {
          tick();
        } catch (RuntimeException e) {
          LOG.error("issuing entropy failed; retrying: {}", e.getMessage());
        }
        synchronized (signal) {
          try {
            if (running) {
              signal.wait(pollMs);
            }
          } catch (InterruptedException e) {
            return;
          }
        }
      }
    }, "popw-entropy");
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  public Duration interval() {
    return interval;
  }

  @Override
  public void close() {
    running = false;
    synchronized (signal) {
      signal.notifyAll(); // no interrupt: it may be writing to the database (an interrupt closes H2's file)
    }
    if (thread != null) {
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
