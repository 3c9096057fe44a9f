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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issues the beacon entropy: every {@code interval} on the injected clock, 32 fresh bytes from
 * {@link SecureRandom}, signed with the coordinator key ({@link Entropies#sign}), stored (it is
 * evidence: the coverage validator checks each beacon against it) and then published to every
 * publisher (the embedded broker or the external one, topic {@value #TOPIC}). The API serves the
 * latest ({@link #current()}). Thread-safe.
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

  /** The latest entropy, issuing one first when none is due yet or the latest is an interval old. */
  public synchronized EntropyStore.Stored current() {
    long now = clock.millis();
    if (latest == null) {
      latest = store.latest().orElse(null);
    }
    if (latest == null || now - latest.entropy().issuedAtMs() >= interval.toMillis()) {
      issue(now);
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
    store.save(issued, signed); // stored before anyone can see it: a beacon can only carry stored entropy
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
