package dev.popw.outbox;

import dev.popw.internal.storage.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable, crash-safe FIFO of payloads (signed envelopes) waiting for delivery.
 *
 * <p><b>Storage.</b> Append-only segment files with a length and CRC-32C per record. Only the last
 * segment can have a torn tail after power loss: a segment is forced to disk before the next one
 * is started. On {@link #open} the last segment is scanned, a torn or corrupt tail is truncated and
 * every earlier record is kept. Opening does not read sealed segments (their records are checked
 * when they are read for delivery), so it takes milliseconds however full the outbox is.
 *
 * <p><b>Durability.</b> {@link #append} returns a future that completes once the entry is forced to
 * disk, per {@link FsyncPolicy}. An entry leaves the outbox only when it is acknowledged, dropped by
 * the {@link OverflowPolicy} or expired; all three are counted in {@link #stats()}.
 *
 * <p><b>Delivery.</b> One consumer takes entries in order with {@link #poll}, and reports each
 * outcome with {@link #acknowledge}; {@link #rewind} starts again from the oldest unacknowledged
 * entry (after a disconnect). Acknowledgements may arrive out of order; the acknowledged position
 * advances over the contiguous prefix and is persisted lazily: after a crash a few acknowledged
 * entries may be sent again, which receivers handle as duplicates.
 *
 * <p>Thread-safe. One process at a time: the directory is locked.
 */
public final class Outbox implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
  private static final String ACKED_FILE = "acked";
  private static final long MAINTENANCE_MS = 100;

  private final OutboxConfig config;
  private final Path dir;
  private final int maxBody;
  private final FileLock dirLock;
  private final ScheduledExecutorService flusher;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition durableAvailable = lock.newCondition();

  private final ArrayDeque<Segment> segments = new ArrayDeque<>();
  private final ArrayDeque<PendingAppend> pendingDurable = new ArrayDeque<>();
  private final TreeSet<Long> doneAhead = new TreeSet<>();
  private final TreeMap<Long, OutboxEntry> handedOut = new TreeMap<>();
  private final Map<Segment, Segment> nextSegment = new HashMap<>();
  private long nextId;
  private long writtenId;
  private long durableId;
  private long totalBytes;
  // head: the oldest entry not yet done; read: the next entry to hand out
  private long headId;
  private Segment headSegment;
  private long headPos;
  private long readId;
  private Segment readSegment;
  private long readPos;
  private long ackedPersisted;
  private OutboxEntry lastAppended;
  private boolean closed;
  // counters since open
  private long appended;
  private long acknowledged;
  private long dropped;
  private long expired;
  private long corrupt;

  private Outbox(OutboxConfig config, FileLock dirLock) {
    this.config = config;
    this.dir = config.directory();
    this.maxBody = Segment.BODY_FIXED + config.maxRecordBytes();
    this.dirLock = dirLock;
    this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "popw-outbox-flush");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Opens the outbox in {@code config.directory()}, creating it if needed, and recovers its state.
   *
   * @throws OutboxException if the directory cannot be used or another process holds it
   */
  public static Outbox open(OutboxConfig config) {
    Path dir = config.directory();
    FileLock lock = null;
    try {
      Files.createDirectories(dir);
      lock = Storage.tryLockExclusive(dir.resolve("outbox.lock"));
      if (lock == null) {
        throw new OutboxException("outbox " + dir + " is in use by another process");
      }
      Outbox outbox = new Outbox(config, lock);
      outbox.recover();
      outbox.startFlusher();
      return outbox;
    } catch (IOException e) {
      if (lock != null) {
        Storage.release(lock);
      }
      throw new OutboxException("cannot open outbox " + dir + ": " + e, e);
    } catch (RuntimeException e) {
      if (lock != null) {
        Storage.release(lock);
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- recovery

  private void recover() throws IOException {
    long started = System.nanoTime();
    TreeMap<Long, Path> files = new TreeMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + Segment.SUFFIX)) {
      for (Path p : ds) {
        long first = Segment.parseName(p.getFileName().toString());
        if (first > 0) {
          files.put(first, p);
        }
      }
    }
    Files.deleteIfExists(dir.resolve(ACKED_FILE + ".tmp"));
    long ackedThrough = readAcked();
    Segment prev = null;
    for (Map.Entry<Long, Path> f : files.entrySet()) {
      Segment s = Segment.open(f.getValue(), f.getKey());
      if (prev != null) {
        prev.lastId = s.firstId - 1;
        prev.sealed = true;
        nextSegment.put(prev, s);
      }
      segments.addLast(s);
      totalBytes += s.size;
      prev = s;
    }
    if (segments.isEmpty()) {
      Segment s = Segment.create(dir, Math.max(1, ackedThrough + 1));
      Storage.fsyncDirectory(dir);
      segments.add(s);
    } else {
      recoverTail(segments.peekLast());
    }
    Segment last = segments.peekLast();
    nextId = last.lastId + 1;
    writtenId = durableId = nextId - 1;
    lastAppended = findLastRecord();

    // The head is the first entry after the acknowledged prefix; drop fully acknowledged segments.
    headId = Math.max(ackedThrough + 1, segments.peekFirst().firstId);
    while (segments.size() > 1 && segments.peekFirst().lastId < headId) {
      deleteSegment(segments.pollFirst());
    }
    locateHead();
    readId = headId;
    readSegment = headSegment;
    readPos = headPos;
    ackedPersisted = headId - 1;
    LOG.info("outbox {} opened in {} ms: {} pending, {} bytes, next id {}", dir,
        (System.nanoTime() - started) / 1_000_000, nextId - headId, totalBytes, nextId);
  }

  private void recoverTail(Segment tail) throws IOException {
    Segment.Scanner sc = new Segment.Scanner(tail, maxBody, true);
    while (sc.next()) {
      // walk to the end of the intact records
    }
    if (sc.position < tail.size) {
      LOG.warn("outbox {}: truncating {} bytes of torn or corrupt data after entry {} in {}",
          dir, tail.size - sc.position, sc.lastGoodId, tail.path.getFileName());
      tail.channel.truncate(sc.position);
      tail.channel.force(true);
      totalBytes -= tail.size - sc.position;
      tail.size = sc.position;
    }
    tail.lastId = sc.lastGoodId;
  }

  private OutboxEntry findLastRecord() throws IOException {
    List<Segment> list = new ArrayList<>(segments);
    for (int i = list.size() - 1; i >= 0; i--) {
      Segment s = list.get(i);
      if (s.isEmpty()) {
        continue;
      }
      Segment.Scanner sc = new Segment.Scanner(s, maxBody, false);
      while (sc.position < s.size && sc.next()) {
        // find the last record's position
      }
      if (sc.lastRecordPosition >= 0) {
        Segment.Record r = s.read(sc.lastRecordPosition, s.size, maxBody);
        if (r != null) {
          return new OutboxEntry(r.id, r.expiresAtMs, r.payload, s, sc.lastRecordPosition, r.length);
        }
      }
      return null;
    }
    return null;
  }

  private void locateHead() throws IOException {
    for (Segment s : segments) {
      if (headId <= s.lastId || s == segments.peekLast()) {
        headSegment = s;
        headPos = 0;
        if (headId > s.firstId) {
          Segment.Scanner sc = new Segment.Scanner(s, maxBody, false);
          while (sc.peekId() >= 0 && sc.peekId() < headId && sc.next()) {
            // skip acknowledged records
          }
          headPos = sc.position;
          if (sc.peekId() != headId && headId <= s.lastId) {
            // cannot find the head record (corruption): start at the next segment
            LOG.warn("outbox {}: cannot locate entry {} in {}; skipping the rest of that segment", dir, headId, s.path.getFileName());
            corrupt += s.lastId - headId + 1;
            headId = s.lastId + 1;
            continue;
          }
        }
        return;
      }
    }
  }

  private long readAcked() throws IOException {
    Path f = dir.resolve(ACKED_FILE);
    if (!Files.exists(f)) {
      return 0;
    }
    byte[] b = Files.readAllBytes(f);
    if (b.length != 12) {
      LOG.warn("outbox {}: ignoring malformed {} file; acknowledged entries may be sent again", dir, ACKED_FILE);
      return 0;
    }
    ByteBuffer buf = ByteBuffer.wrap(b);
    long value = buf.getLong();
    CRC32C crc = new CRC32C();
    crc.update(b, 0, 8);
    if ((int) crc.getValue() != buf.getInt()) {
      LOG.warn("outbox {}: ignoring corrupt {} file; acknowledged entries may be sent again", dir, ACKED_FILE);
      return 0;
    }
    return value;
  }

  // ---------------------------------------------------------------- append

  /**
   * Appends a payload. The future completes with the entry once it is durable, or exceptionally
   * with {@link OutboxFullException} (policy {@link OverflowPolicy#REJECT_NEW}) or
   * {@link OutboxException} (I/O failure, closed outbox).
   *
   * @param expiresAtMs Unix ms after which the entry is dropped unsent; 0 for never
   */
  public CompletableFuture<OutboxEntry> append(byte[] payload, long expiresAtMs) {
    CompletableFuture<OutboxEntry> future = new CompletableFuture<>();
    if (payload.length > config.maxRecordBytes()) {
      future.completeExceptionally(new IllegalArgumentException(
          "payload of " + payload.length + " bytes exceeds the outbox limit of " + config.maxRecordBytes()));
      return future;
    }
    ByteBuffer record;
    OutboxEntry entry;
    Segment target;
    long id;
    lock.lock();
    try {
      if (closed) {
        future.completeExceptionally(new OutboxException("outbox " + dir + " is closed"));
        return future;
      }
      int length = Segment.HEADER + Segment.BODY_FIXED + payload.length;
      if (!makeRoom(length)) {
        dropped++;
        future.completeExceptionally(new OutboxFullException(
            "outbox " + dir + " is full (" + totalBytes + " of " + config.maxBytes() + " bytes); entry refused"));
        return future;
      }
      Segment active = segments.peekLast();
      if (active.size > 0 && active.size + length > config.segmentBytes()) {
        active = roll(active);
      }
      id = nextId;
      record = Segment.encode(id, expiresAtMs, payload);
      long position = active.size;
      active.append(record);
      nextId++;
      active.lastId = id;
      totalBytes += length;
      writtenId = id;
      appended++;
      entry = new OutboxEntry(id, expiresAtMs, payload, active, position, length);
      lastAppended = entry;
      target = active;
      if (!config.fsync().isEveryWrite()) {
        pendingDurable.add(new PendingAppend(entry, future));
        return future;
      }
    } catch (IOException e) {
      future.completeExceptionally(new OutboxException("cannot append to outbox " + dir + ": " + e, e));
      return future;
    } finally {
      lock.unlock();
    }
    // fsync-every-write: force outside the lock, so that other appends and reads go on.
    try {
      target.channel.force(false);
    } catch (IOException e) {
      future.completeExceptionally(new OutboxException("cannot sync outbox " + dir + ": " + e, e));
      return future;
    }
    markDurable(id);
    future.complete(entry);
    return future;
  }

  /** Makes room for {@code length} more bytes per the overflow policy; false if refused. */
  private boolean makeRoom(int length) throws IOException {
    if (totalBytes + length <= config.maxBytes()) {
      return true;
    }
    if (config.overflow() == OverflowPolicy.REJECT_NEW) {
      LOG.warn("outbox {} is full ({} bytes): refusing a new entry", dir, totalBytes);
      return false;
    }
    if (segments.size() == 1) {
      roll(segments.peekLast());
    }
    while (totalBytes + length > config.maxBytes() && segments.size() > 1) {
      dropOldestSegment();
    }
    return true;
  }

  private Segment roll(Segment active) throws IOException {
    active.channel.force(false);
    active.sealed = true;
    Segment next = Segment.create(dir, active.lastId + 1);
    Storage.fsyncDirectory(dir);
    nextSegment.put(active, next);
    segments.addLast(next);
    if (durableId < active.lastId) {
      durableId = active.lastId;
      completeDurableLocked();
    }
    return next;
  }

  private void dropOldestSegment() {
    Segment s = segments.pollFirst();
    Segment next = segments.peekFirst();
    long lost = 0;
    for (long id = Math.max(s.firstId, headId); id <= s.lastId; id++) {
      if (!doneAhead.contains(id)) {
        lost++;
      }
    }
    dropped += lost;
    LOG.warn("outbox {} is full ({} of {} bytes): dropped the {} oldest unsent entries ({}..{})",
        dir, totalBytes, config.maxBytes(), lost, Math.max(s.firstId, headId), s.lastId);
    if (headId <= s.lastId) {
      headId = s.lastId + 1;
      headSegment = next;
      headPos = 0;
    }
    if (readId <= s.lastId) {
      readId = headId;
      readSegment = next;
      readPos = 0;
    }
    doneAhead.headSet(headId).clear();
    handedOut.headMap(headId).clear();
    deleteSegment(s);
    durableAvailable.signalAll();
  }

  private void deleteSegment(Segment s) {
    totalBytes -= s.size;
    nextSegment.remove(s);
    s.close();
    try {
      Files.deleteIfExists(s.path);
    } catch (IOException e) {
      LOG.warn("outbox {}: cannot delete {}: {}", dir, s.path.getFileName(), e.toString());
    }
  }

  // ---------------------------------------------------------------- durability

  private void startFlusher() {
    long period = config.fsync().isEveryWrite() ? MAINTENANCE_MS : Math.max(1, config.fsync().interval().toMillis());
    flusher.scheduleWithFixedDelay(this::flushAndMaintain, period, period, TimeUnit.MILLISECONDS);
  }

  private void flushAndMaintain() {
    try {
      sync();
      maintain();
    } catch (RuntimeException e) {
      LOG.error("outbox {}: background flush failed", dir, e);
    }
  }

  /** Forces every written entry to disk and completes their futures. */
  private void sync() {
    Segment active;
    long target;
    lock.lock();
    try {
      if (closed || writtenId <= durableId) {
        return;
      }
      active = segments.peekLast();
      target = writtenId;
    } finally {
      lock.unlock();
    }
    try {
      active.channel.force(false);
    } catch (IOException e) {
      failPending(new OutboxException("cannot sync outbox " + dir + ": " + e, e));
      return;
    }
    markDurable(target);
  }

  private void markDurable(long id) {
    List<PendingAppend> done = new ArrayList<>();
    lock.lock();
    try {
      if (id > durableId) {
        durableId = id;
      }
      while (!pendingDurable.isEmpty() && pendingDurable.peekFirst().entry.id() <= durableId) {
        done.add(pendingDurable.pollFirst());
      }
      durableAvailable.signalAll();
    } finally {
      lock.unlock();
    }
    for (PendingAppend p : done) {
      p.future.complete(p.entry);
    }
  }

  private void completeDurableLocked() {
    while (!pendingDurable.isEmpty() && pendingDurable.peekFirst().entry.id() <= durableId) {
      PendingAppend p = pendingDurable.pollFirst();
      p.future.complete(p.entry);
    }
    durableAvailable.signalAll();
  }

  private void failPending(OutboxException e) {
    List<PendingAppend> failed;
    lock.lock();
    try {
      failed = new ArrayList<>(pendingDurable);
      pendingDurable.clear();
    } finally {
      lock.unlock();
    }
    for (PendingAppend p : failed) {
      p.future.completeExceptionally(e);
    }
  }

  /** Persists the acknowledged position and deletes fully acknowledged segments. */
  private void maintain() {
    long ackedThrough;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      ackedThrough = headId - 1;
    } finally {
      lock.unlock();
    }
    if (ackedThrough != ackedPersisted) {
      writeAcked(ackedThrough);
    }
    lock.lock();
    try {
      while (segments.size() > 1 && segments.peekFirst().lastId <= ackedPersisted && segments.peekFirst() != headSegment
          && segments.peekFirst() != readSegment) {
        deleteSegment(segments.pollFirst());
      }
    } finally {
      lock.unlock();
    }
  }

  private void writeAcked(long value) {
    ByteBuffer buf = ByteBuffer.allocate(12);
    buf.putLong(value);
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), 0, 8);
    buf.putInt((int) crc.getValue());
    try {
      Storage.writeAtomically(dir.resolve(ACKED_FILE), buf.array());
      ackedPersisted = value;
    } catch (IOException e) {
      LOG.warn("outbox {}: cannot persist the acknowledged position: {}", dir, e.toString());
    }
  }

  // ---------------------------------------------------------------- delivery

  /**
   * Hands out up to {@code max} durable entries after the last one handed out, oldest first.
   * Entries that have expired are dropped here, counted and never returned. Returns an empty list
   * when nothing is waiting.
   */
  public List<OutboxEntry> poll(int max) {
    List<OutboxEntry> out = new ArrayList<>(Math.min(max, 256));
    lock.lock();
    try {
      long now = config.clock().millis();
      while (out.size() < max && readId <= durableId && !closed) {
        if (readPos >= readSegment.size || readId > readSegment.lastId) {
          Segment next = nextSegment.get(readSegment);
          if (next == null) {
            break;
          }
          readSegment = next;
          readPos = 0;
          continue;
        }
        Segment.Record r = readSegment.read(readPos, readSegment.size, maxBody);
        if (r == null || r.id != readId) {
          skipCorruptRest();
          continue;
        }
        OutboxEntry e = new OutboxEntry(r.id, r.expiresAtMs, r.payload, readSegment, readPos, r.length);
        readPos += r.length;
        readId++;
        handedOut.put(e.id(), e);
        if (doneAhead.contains(e.id())) {
          continue; // acknowledged before a rewind
        }
        if (e.expiresAtMs() != 0 && e.expiresAtMs() <= now) {
          expired++;
          doneAhead.add(e.id());
          LOG.debug("outbox {}: entry {} expired unsent", dir, e.id());
          continue;
        }
        out.add(e);
      }
      advanceHead();
    } catch (IOException e) {
      throw new OutboxException("cannot read outbox " + dir + ": " + e, e);
    } finally {
      lock.unlock();
    }
    return out;
  }

  private void skipCorruptRest() {
    long lost = readSegment.lastId - readId + 1;
    LOG.error("outbox {}: entry {} in {} fails its checksum; skipping {} entries to the end of that segment",
        dir, readId, readSegment.path.getFileName(), lost);
    corrupt += lost;
    for (long id = readId; id <= readSegment.lastId; id++) {
      doneAhead.add(id);
      handedOut.put(id, new OutboxEntry(id, 0, new byte[0], readSegment, readSegment.size, 0));
    }
    readId = readSegment.lastId + 1;
    readPos = readSegment.size;
  }

  /**
   * Blocks until an entry is available to {@link #poll}, the timeout passes or the outbox closes.
   *
   * @return true if an entry is available
   */
  public boolean awaitEntries(long timeout, TimeUnit unit) throws InterruptedException {
    long nanos = unit.toNanos(timeout);
    lock.lock();
    try {
      while (readId > durableId && !closed) {
        if (nanos <= 0) {
          return false;
        }
        nanos = durableAvailable.awaitNanos(nanos);
      }
      return !closed;
    } finally {
      lock.unlock();
    }
  }

  /** Records that an entry was delivered (or definitively refused by the receiver). Idempotent. */
  public void acknowledge(long id) {
    lock.lock();
    try {
      if (id < headId || id >= nextId || !doneAhead.add(id)) {
        return;
      }
      acknowledged++;
      advanceHead();
    } finally {
      lock.unlock();
    }
  }

  private void advanceHead() {
    while (doneAhead.remove(headId)) {
      OutboxEntry e = handedOut.remove(headId);
      if (e != null) {
        headSegment = e.segment;
        headPos = e.position + e.recordLength;
      }
      headId++;
      if (headSegment != null && headPos >= headSegment.size && headSegment.sealed) {
        Segment next = nextSegment.get(headSegment);
        if (next != null) {
          headSegment = next;
          headPos = 0;
        }
      }
    }
  }

  /** Makes the next {@link #poll} start again at the oldest entry not yet acknowledged. */
  public void rewind() {
    lock.lock();
    try {
      readId = headId;
      readSegment = headSegment;
      readPos = headPos;
      handedOut.clear();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- state

  /** The most recently appended entry still on disk (acknowledged or not), if any. */
  public Optional<OutboxEntry> lastAppended() {
    lock.lock();
    try {
      return Optional.ofNullable(lastAppended);
    } finally {
      lock.unlock();
    }
  }

  public OutboxStats stats() {
    lock.lock();
    try {
      long pending = Math.max(0, nextId - headId - doneAhead.size());
      return new OutboxStats(pending, totalBytes, appended, acknowledged, dropped, expired, corrupt);
    } finally {
      lock.unlock();
    }
  }

  public OutboxConfig config() {
    return config;
  }

  /** Forces pending appends, persists the acknowledged position and releases the directory. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
    } finally {
      lock.unlock();
    }
    flusher.shutdown();
    try {
      flusher.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sync();
    maintain();
    lock.lock();
    try {
      closed = true;
      durableAvailable.signalAll();
      for (Segment s : segments) {
        s.close();
      }
    } finally {
      lock.unlock();
    }
    failPending(new OutboxException("outbox " + dir + " closed before the entry was synced"));
    Storage.release(dirLock);
  }

  private static final class PendingAppend {
    final OutboxEntry entry;
    final CompletableFuture<OutboxEntry> future;

    PendingAppend(OutboxEntry entry, CompletableFuture<OutboxEntry> future) {
      this.entry = entry;
      this.future = future;
    }
  }
}
