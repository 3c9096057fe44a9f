package dev.popw.coordinator.ingest;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A token bucket per source address: {@code ratePerSecond} requests a second sustained, up to
 * {@code burst} at once. At most {@code maxSources} buckets are kept; the least recently used is
 * forgotten first (a forgotten source starts again with a full bucket, as a new one does). Rate 0:
 * no limit and no table. Thread-safe.
 */
public final class SourceRateLimiter {
  private final double tokensPerNano;
  private final double burst;
  private final int maxSources;
  private final LongSupplier nanoTime;
  private final Map<InetAddress, Bucket> buckets; // guarded by this

  /** A limiter on the system's monotonic clock. */
  public SourceRateLimiter(int ratePerSecond, int burst, int maxSources) {
    this(ratePerSecond, burst, maxSources, System::nanoTime);
  }

  SourceRateLimiter(int ratePerSecond, int burst, int maxSources, LongSupplier nanoTime) {
    if (ratePerSecond < 0 || burst < 1 || maxSources < 1) {
      throw new IllegalArgumentException("rate must be >= 0 (0: off), burst and sources >= 1");
    }
    this.tokensPerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.maxSources = maxSources;
    this.nanoTime = nanoTime;
    this.buckets = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<InetAddress, Bucket> eldest) {
        return size() > SourceRateLimiter.this.maxSources;
      }
    };
  }

  /** No limit. */
  public static SourceRateLimiter off() {
    return new SourceRateLimiter(0, 1, 1);
  }

  public boolean enabled() {
    return tokensPerNano > 0;
  }

  /** Takes a token for a request from {@code source}; false when its bucket is empty (drop the request). */
  public boolean admit(InetAddress source) {
    if (!enabled()) {
      return true;
    }
    long now = nanoTime.getAsLong();
    synchronized (this) {
      Bucket b = buckets.get(source);
      if (b == null) {
        b = new Bucket(burst, now);
        buckets.put(source, b);
      } else {
        b.tokens = Math.min(burst, b.tokens + (now - b.refilled) * tokensPerNano);
        b.refilled = now;
      }
      if (b.tokens < 1) {
        return false;
      }
      b.tokens -= 1;
      return true;
    }
  }

  /** Source addresses tracked now. */
  public synchronized int trackedSources() {
    return buckets.size();
  }

  private static final class Bucket {
    double tokens;
    long refilled;

    Bucket(double tokens, long refilled) {
      this.tokens = tokens;
      this.refilled = refilled;
    }
  }
}
