package dev.popw.coordinator.api;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per client: {@code perSecond} requests a second on average, {@code burst} at
 * once. Clients are source addresses; an IPv6 client is its /64 (one subscriber's prefix, which
 * it can fill with as many addresses as it likes). The table holds at most {@code maxClients}
 * buckets: a bucket that has refilled completely carries no state and is dropped, and when the
 * table is full the least recently seen client is forgotten (it starts again with a full
 * bucket). Thread-safe.
 */
final class RateLimiter {
  private final double perNano;
  private final double burst;
  private final int maxClients;
  private final LongSupplier nanos;
  private final long refillNanos;
  private final LinkedHashMap<Key, Bucket> buckets = new LinkedHashMap<>(64, 0.75f, true);

  /**
   * @param perSecond average requests per second; 0 turns the limit off
   * @param nanos a monotonic clock in nanoseconds ({@code System::nanoTime})
   */
  RateLimiter(int perSecond, int burst, int maxClients, LongSupplier nanos) {
    this.perNano = perSecond / 1e9;
    this.burst = burst;
    this.maxClients = maxClients;
    this.nanos = nanos;
    this.refillNanos = perSecond == 0 ? 0 : (long) Math.ceil(burst / perNano);
  }

  /**
   * Takes one request from the client's bucket.
   *
   * @return 0 when the request may go on, else the seconds until the client may send again (at least 1)
   */
  synchronized long take(InetAddress client) {
    if (perNano == 0) {
      return 0;
    }
    long now = nanos.getAsLong();
    forgetIdle(now);
    Key key = Key.of(client);
    Bucket b = buckets.get(key);
    if (b == null) {
      b = new Bucket(burst, now);
      buckets.put(key, b);
      if (buckets.size() > maxClients) {
        Iterator<Bucket> eldest = buckets.values().iterator();
        eldest.next();
        eldest.remove();
      }
    }
    b.tokens = Math.min(burst, b.tokens + (now - b.at) * perNano);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((1 - b.tokens) / perNano / 1e9));
  }

  /** Drops buckets, least recently used first, that would be full again by now. */
  private void forgetIdle(long now) {
    Iterator<Bucket> it = buckets.values().iterator();
    for (int i = 0; i < 8 && it.hasNext(); i++) {
      if (now - it.next().at < refillNanos) {
        return;
      }
      it.remove();
    }
  }

  /** Clients tracked now. */
  synchronized int clients() {
    return buckets.size();
  }

  private static final class Bucket {
    double tokens;
    long at;

    Bucket(double tokens, long at) {
      this.tokens = tokens;
      this.at = at;
    }
  }

  /** An IPv4 address, or the first 64 bits of an IPv6 one. */
  private record Key(byte[] bytes) {
    static Key of(InetAddress a) {
      byte[] b = a.getAddress();
      return new Key(a instanceof Inet6Address ? Arrays.copyOf(b, 8) : b);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return Arrays.toString(bytes);
    }
  }
}
