package dev.popw.agent.source;

import dev.popw.proto.v1.Telemetry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A source sampled at a fixed interval. A failed sample is logged (once per distinct error) and
 * shows in {@link #status()}; it never stops the schedule, so a sensor that comes back is picked
 * up again. A sample that succeeds for part of the hardware only (one of several thermometers)
 * reports the rest through {@link #degraded}: logged once per distinct problem and shown in the
 * status, while the good part is still sent.
 */
public abstract class PeriodicSource implements Source {
  private static final Logger LOG = LoggerFactory.getLogger(PeriodicSource.class);

  private final String name;
  private final Duration interval;
  private final AtomicLong samples = new AtomicLong();
  private volatile String lastError;
  private volatile String lastDegraded;
  private String degradedThisSample; // set by sample() on the sampling thread, read by tick() on it
  private volatile ScheduledFuture<?> task;

  protected PeriodicSource(String name, Duration interval) {
    this.name = name;
    this.interval = interval;
  }

  /** Takes one sample; empty when there is nothing to report this time. */
  protected abstract Optional<Telemetry.Builder> sample() throws Exception;

  /**
   * Called from {@link #sample()} when the sample it returns leaves out part of the hardware,
   * saying what failed (for example {@code "1 of 3 sensors failed: 28-0316a2791cff: CRC check failed"}).
   */
  protected final void degraded(String problem) {
    degradedThisSample = problem;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(TelemetrySink sink, ScheduledExecutorService scheduler) {
    task = scheduler.scheduleAtFixedRate(() -> tick(sink), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Samples once and hands the result to the sink; public for tests and one-shot use. */
  public synchronized void tick(TelemetrySink sink) {
    degradedThisSample = null;
    try {
      Optional<Telemetry.Builder> t = sample();
      if (t.isPresent()) {
        sink.accept(t.get());
        samples.incrementAndGet();
      }
      String degradedNow = degradedThisSample;
      if (degradedNow != null && !degradedNow.equals(lastDegraded)) {
        LOG.warn("{}: {}", name, degradedNow);
      } else if (degradedNow == null && (lastError != null || lastDegraded != null)) {
        LOG.info("{}: working again", name);
      }
      lastDegraded = degradedNow;
      lastError = null;
    } catch (Exception e) {
      String msg = e.getMessage() == null ? e.toString() : e.getMessage();
      if (!msg.equals(lastError)) {
        LOG.warn("{}: {}", name, msg);
      }
      lastError = msg;
    }
  }

  @Override
  public String status() {
    String counts = samples.get() + " samples every " + interval.toSeconds() + " s";
    String error = lastError;
    String degradedNow = lastDegraded;
    return error != null ? "error: " + error : degradedNow != null ? "degraded, " + counts + ": " + degradedNow : "ok, " + counts;
  }

  @Override
  public void close() {
    ScheduledFuture<?> t = task;
    if (t != null) {
      t.cancel(false);
    }
  }
}
