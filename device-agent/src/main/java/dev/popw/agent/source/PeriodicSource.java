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
 * up again.
 */
public abstract class PeriodicSource implements Source {
  private static final Logger LOG = LoggerFactory.getLogger(PeriodicSource.class);

  private final String name;
  private final Duration interval;
  private final AtomicLong samples = new AtomicLong();
  private volatile String lastError;
  private volatile ScheduledFuture<?> task;

  protected PeriodicSource(String name, Duration interval) {
    this.name = name;
    this.interval = interval;
  }

  /** Takes one sample; empty when there is nothing to report this time. */
  protected abstract Optional<Telemetry.Builder> sample() throws Exception;

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(TelemetrySink sink, ScheduledExecutorService scheduler) {
    task = scheduler.scheduleAtFixedRate(() -> tick(sink), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Samples once and hands the result to the sink; public for tests and one-shot use. */
  public void tick(TelemetrySink sink) {
    try {
      Optional<Telemetry.Builder> t = sample();
      if (t.isPresent()) {
        sink.accept(t.get());
        samples.incrementAndGet();
      }
      if (lastError != null) {
        LOG.info("{}: working again", name);
        lastError = null;
      }
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
    return lastError != null ? "error: " + lastError : "ok, " + samples.get() + " samples every " + interval.toSeconds() + " s";
  }

  @Override
  public void close() {
    ScheduledFuture<?> t = task;
    if (t != null) {
      t.cancel(false);
    }
  }
}
