package dev.popw.coordinator.api;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API's I/O threads, the JDK server's executor, with a deadline on every request.
 *
 * <p>The JDK server reads a request's line, headers and body with blocking reads on the thread
 * that runs it, and has no per-server read timeout (its {@code sun.net.httpserver.maxReqTime} is
 * one value per JVM). So each thread carries a {@link Deadline}: armed with the read timeout when
 * a request starts (the JDK hands it over when its first byte arrived), re-armed with the write
 * timeout for the response, and disarmed while the request is processed. A watchdog interrupts a
 * thread whose armed deadline passed; the blocking read or write it is in then fails with {@link
 * java.nio.channels.ClosedByInterruptException}, which closes the connection: a
 * {@link java.nio.channels.SocketChannel} is an interruptible channel. A thread is never
 * interrupted while disarmed, so database work (H2 closes its files when interrupted) never is.
 *
 * <p>The executor's queue is unbounded, but it holds at most one request per open connection (the
 * JDK reads the next request of a connection only after the previous one is answered), and
 * connections are limited ({@link ApiSettings#maxConnections()}).
 */
final class ApiThreads implements Executor, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiThreads.class);
  static final String READ_TIMEOUT = "read_timeout";
  static final String WRITE_TIMEOUT = "write_timeout";

  private final ThreadPoolExecutor pool;
  private final ScheduledExecutorService watchdog;
  private final Set<Deadline> deadlines = ConcurrentHashMap.newKeySet();
  private final ThreadLocal<Deadline> current = new ThreadLocal<>();
  private final long readNanos;
  private final long writeNanos;

  /**
   * @param onTimeout told the reason ({@link #READ_TIMEOUT} or {@link #WRITE_TIMEOUT}) of every
   *     request the watchdog cuts off; called on the watchdog thread, must not block
   */
  ApiThreads(int threads, Duration readTimeout, Duration writeTimeout, Consumer<String> onTimeout) {
    this.readNanos = readTimeout.toNanos();
    this.writeNanos = writeTimeout.toNanos();
    AtomicInteger n = new AtomicInteger();
    pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(() -> {
        Deadline d = new Deadline(Thread.currentThread());
        current.set(d);
        deadlines.add(d);
        try {
          r.run();
        } finally {
          deadlines.remove(d);
        }
      }, "popw-api-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }) {
      @Override
      protected void beforeExecute(Thread t, Runnable r) {
        current.get().arm(readNanos, READ_TIMEOUT);
      }

      @Override
      protected void afterExecute(Runnable r, Throwable t) {
        current.get().disarm();
      }
    };
    pool.allowCoreThreadTimeOut(true);
    watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "popw-api-watchdog");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(10, Math.min(250, Math.min(readTimeout.toMillis(), writeTimeout.toMillis()) / 10));
    watchdog.scheduleWithFixedDelay(() -> {
      try {
        long now = System.nanoTime();
        for (Deadline d : deadlines) {
          String reason = d.check(now);
          if (reason != null) {
            onTimeout.accept(reason);
          }
        }
      } catch (RuntimeException e) {
        LOG.warn("API watchdog: {}", e.toString());
      }
    }, period, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public void execute(Runnable command) {
    pool.execute(command);
  }

  /** The deadline of the calling I/O thread. */
  Deadline current() {
    Deadline d = current.get();
    if (d == null) {
      throw new IllegalStateException("not an API thread");
    }
    return d;
  }

  /** Arms the calling thread's deadline for writing a response. */
  void writing() {
    current().arm(writeNanos, WRITE_TIMEOUT);
  }

  /** Threads running a request. */
  int busy() {
    return pool.getActiveCount();
  }

  /** Requests whose first bytes arrived, waiting for a thread. */
  int waiting() {
    return pool.getQueue().size();
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
    pool.shutdown();
  }

  /** One thread's deadline. The lock makes "interrupt only while armed" exact. */
  static final class Deadline {
    private final Thread thread;
    private long at;
    private String reason;
    private boolean armed;
    private boolean expired;

    Deadline(Thread thread) {
      this.thread = thread;
    }

    synchronized void arm(long nanos, String why) {
      at = System.nanoTime() + nanos;
      reason = why;
      armed = true;
      expired = false;
    }

    /**
     * Disarms (only the owning thread calls this) and clears an interrupt the watchdog may have
     * sent, so that no interrupt reaches the work that follows.
     *
     * @return false when the deadline had passed: the request was cut off
     */
    synchronized boolean disarm() {
      armed = false;
      Thread.interrupted();
      return !expired;
    }

    synchronized boolean expired() {
      return expired;
    }

    /** The watchdog's check: interrupts the thread when its armed deadline passed; returns the reason then. */
    synchronized String check(long now) {
      if (armed && !expired && now - at >= 0) {
        expired = true;
        thread.interrupt();
        return reason;
      }
      return null;
    }
  }
}
