package dev.popw.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-client token bucket, on a clock the test moves. */
class RateLimiterTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @Test
  void a_client_gets_its_burst_then_waits_for_the_refill() throws Exception {
    RateLimiter r = new RateLimiter(2, 5, 100, now::get);
    InetAddress a = InetAddress.getByName("192.0.2.1");
    for (int i = 0; i < 5; i++) {
      assertEquals(0, r.take(a), "request " + (i + 1) + " of the burst");
    }
    assertEquals(1, r.take(a), "empty bucket: one token comes in 0.5 s, so retry in 1 s");
    now.addAndGet(500_000_000L);
    assertEquals(0, r.take(a), "half a second later, at 2 a second, one more");
    assertEquals(1, r.take(a));
    assertEquals(0, r.take(InetAddress.getByName("192.0.2.2")), "another client has its own bucket");
  }

  @Test
  void a_slow_refill_asks_for_a_longer_wait() throws Exception {
    RateLimiter r = new RateLimiter(1, 1, 100, now::get);
    InetAddress a = InetAddress.getByName("192.0.2.1");
    assertEquals(0, r.take(a));
    assertEquals(1, r.take(a));
    RateLimiter slow = new RateLimiter(1, 1, 100, now::get);
    assertEquals(0, slow.take(a));
    now.addAndGet(100_000_000L);
    assertEquals(1, slow.take(a), "0.9 s to go: rounded up to 1 s");
  }

  @Test
  void an_ipv6_client_is_its_64_bit_prefix() throws Exception {
    RateLimiter r = new RateLimiter(1, 2, 100, now::get);
    assertEquals(0, r.take(InetAddress.getByName("2001:db8:1:2::1")));
    assertEquals(0, r.take(InetAddress.getByName("2001:db8:1:2::ffff:1")));
    assertTrue(r.take(InetAddress.getByName("2001:db8:1:2:abcd::9")) > 0, "the same /64, another address: the same bucket");
    assertEquals(0, r.take(InetAddress.getByName("2001:db8:1:3::1")), "another /64");
  }

  @Test
  void the_table_is_bounded_and_forgets_idle_clients() throws Exception {
    RateLimiter r = new RateLimiter(10, 10, 50, now::get);
    for (int i = 0; i < 200; i++) {
      r.take(InetAddress.getByName("10.0." + (i / 256) + "." + (i % 256)));
      assertTrue(r.clients() <= 50, "at most 50 clients tracked, got " + r.clients());
    }
    assertEquals(50, r.clients());
    now.addAndGet(1_000_000_000L); // every bucket is full again: none carries state
    for (int i = 0; i < 60; i++) {
      r.take(InetAddress.getByName("10.1.0." + i));
    }
    assertTrue(r.clients() <= 50);
    now.addAndGet(5_000_000_000L);
    r.take(InetAddress.getByName("10.2.0.1"));
    assertTrue(r.clients() < 50, "idle clients are dropped as new ones come: " + r.clients());
  }

  @Test
  void zero_per_second_is_no_limit() throws Exception {
    RateLimiter r = new RateLimiter(0, 1, 10, now::get);
    for (int i = 0; i < 1000; i++) {
      assertEquals(0, r.take(InetAddress.getByName("192.0.2.1")));
    }
    assertEquals(0, r.clients());
  }
}
