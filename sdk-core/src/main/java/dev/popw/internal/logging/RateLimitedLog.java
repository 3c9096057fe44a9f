package dev.popw.internal.logging;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * At most one WARN line per interval for a repeated fault (a hostile publisher must not write a
 * log line per message); the next line says how many were suppressed.
 */
public final class RateLimitedLog {
  private final Logger log;
  private final long intervalMs;
  private final AtomicLong nextAt = new AtomicLong();
  private final AtomicLong suppressed = new AtomicLong();

  public RateLimitedLog(Logger log, long intervalMs) {
    this.log = log;
    this.intervalMs = intervalMs;
  }

  public void warn(String format, Object a, Object b) {
    long now = System.currentTimeMillis();
    long at = nextAt.get();
    if (now >= at && nextAt.compareAndSet(at, now + intervalMs)) {
      long n = suppressed.getAndSet(0);
      log.warn(format + (n > 0 ? " (" + n + " more since the last such line)" : ""), a, b);
    } else {
      suppressed.incrementAndGet();
    }
  }
}
