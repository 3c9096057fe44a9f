package dev.popw.coordinator.ingest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that takes what is queued in groups and hands each group to a handler: the first
 * item, everything else already waiting (up to {@code maxGroup}), and, with a linger, whatever
 * else arrives within it. Under load the groups grow by themselves; a lone item goes at once (or
 * after the linger). The group commit of {@link BatchWriter} and the grouped receipt signatures of
 * {@link ReceiptBatcher} are both this.
 */
final class GroupWorker<T> {
  private static final Logger LOG = LoggerFactory.getLogger(GroupWorker.class);

  private final BlockingQueue<T> queue = new LinkedBlockingQueue<>();
  private final int maxGroup;
  private final long lingerNanos;
  private final Consumer<List<T>> handler;
  private final Thread thread;
  private volatile boolean running = true;

  /**
   * @param handler called on the worker's thread with each group (a list it reuses afterwards);
   *     an exception it throws is logged and the worker goes on
   */
  GroupWorker(String threadName, int maxGroup, Duration linger, Consumer<List<T>> handler) {
    this.maxGroup = maxGroup;
    this.lingerNanos = linger.toNanos();
    this.handler = handler;
    this.thread = new Thread(this::run, threadName);
    thread.setDaemon(true);
    thread.start();
  }

  void add(T item) {
    queue.add(item);
  }

  int size() {
    return queue.size();
  }

  /** False once {@link #close} began. */
  boolean running() {
    return running;
  }

  private void run() {
    List<T> group = new ArrayList<>(Math.min(maxGroup, 4096));
    while (running || !queue.isEmpty()) {
      try {
        T first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        group.add(first);
        queue.drainTo(group, maxGroup - 1);
        long deadline = System.nanoTime() + lingerNanos;
        while (lingerNanos > 0 && group.size() < maxGroup) {
          T next = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
          if (next == null) {
            break;
          }
          group.add(next);
        }
        handler.accept(group);
      } catch (InterruptedException e) {
        if (!running) {
          continue;
        }
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.error("{}: a group of {} failed: {}", thread.getName(), group.size(), e.toString());
      } finally {
        group.clear();
      }
    }
  }

  /**
   * Lets the thread take what is queued, then stops it. No interrupt: one during a write would
   * close the embedded database's file channel (ClosedByInterruptException); the thread polls
   * with a timeout.
   *
   * @return what was added too late for the thread (after it stopped, or after {@code joinMillis}),
   *     for the caller to handle
   */
  List<T> close(long joinMillis) {
    running = false;
    try {
      thread.join(joinMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<T> rest = new ArrayList<>();
    if (!thread.isAlive()) {
      queue.drainTo(rest);
    }
    return rest;
  }
}
