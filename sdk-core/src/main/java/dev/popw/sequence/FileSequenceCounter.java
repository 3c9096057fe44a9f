package dev.popw.sequence;

import dev.popw.internal.storage.Storage;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * A sequence counter persisted in a small text file.
 *
 * <p>Numbers are reserved in blocks: before handing out a number above the reserved ceiling, the
 * counter durably writes a new ceiling (write to a temporary file, fsync, atomic rename, fsync the
 * directory). After a crash the counter resumes above the last ceiling, so a number is never
 * reused; at most one block of numbers is skipped. A clean {@link #close()} returns the unused part
 * of the block, so a clean restart has no gap. With a block of 1 (the default) every number costs
 * one durable write.
 *
 * <p>The file is locked while open: a second process (or a second instance in this JVM) using the
 * same file would hand out the same numbers, so opening it twice fails.
 *
 * <p>Thread-safe.
 */
public final class FileSequenceCounter implements SequenceCounter, AutoCloseable {
  private static final String HEADER =
      "# PoPW device sequence counter. Do not edit or delete: a reused sequence number is equivocation.\n";

  private final Path file;
  private final int block;
  private final FileLock lock;
  private long next;
  private long reserved;
  private boolean closed;

  private FileSequenceCounter(Path file, int block, FileLock lock, long reserved) {
    this.file = file;
    this.block = block;
    this.lock = lock;
    this.reserved = reserved;
    this.next = reserved + 1;
  }

  /** Opens (or creates) a counter that makes every number durable before returning it. */
  public static FileSequenceCounter open(Path file) {
    return open(file, 1);
  }

  /**
   * Opens (or creates) a counter that reserves {@code block} numbers per durable write.
   *
   * @throws SequenceException if the file is corrupt, locked by another user, or not writable
   */
  public static FileSequenceCounter open(Path file, int block) {
    if (block < 1) {
      throw new IllegalArgumentException("block must be >= 1, got " + block);
    }
    Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
    FileLock lock = null;
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      lock = Storage.tryLockExclusive(lockFile);
      if (lock == null) {
        throw new SequenceException("sequence file " + file + " is in use by another process; only one may use a device's counter");
      }
      long reserved = Files.exists(file) ? read(file) : 0;
      return new FileSequenceCounter(file, block, lock, reserved);
    } catch (IOException e) {
      if (lock != null) {
        Storage.release(lock);
      }
      throw new SequenceException("cannot open sequence file " + file + ": " + e, e);
    } catch (RuntimeException e) {
      if (lock != null) {
        Storage.release(lock);
      }
      throw e;
    }
  }

  @Override
  public synchronized long next() {
    if (closed) {
      throw new SequenceException("sequence counter " + file + " is closed");
    }
    if (next > reserved) {
      write(Math.addExact(next, block - 1));
    }
    return next++;
  }

  /**
   * Makes sure that {@link #next()} returns a number above {@code used}, durably. A device calls it
   * at startup with the highest sequence number it finds elsewhere (its outbox), so that a lost or
   * restored-from-backup counter file cannot lead to reuse.
   */
  public synchronized void advancePast(long used) {
    if (used >= next) {
      write(used);
      next = used + 1;
    }
  }

  /** The number the next call to {@link #next()} will return. */
  public synchronized long peek() {
    return next;
  }

  /** Returns the unused reservation and releases the file lock. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    try {
      if (reserved > next - 1) {
        write(next - 1);
      }
    } finally {
      closed = true;
      Storage.release(lock);
    }
  }

  private void write(long ceiling) {
    String line = "reserved=" + ceiling;
    CRC32C crc = new CRC32C();
    crc.update(line.getBytes(StandardCharsets.US_ASCII));
    String text = HEADER + line + "\n" + String.format("crc32c=%08x%n", crc.getValue());
    try {
      Storage.writeAtomically(file, text.getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new SequenceException("cannot persist sequence counter to " + file + ": " + e, e);
    }
    reserved = ceiling;
  }

  private static long read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    String line = null;
    String crcText = null;
    for (String l : text.split("\n")) {
      if (l.startsWith("reserved=")) {
        line = l.trim();
      } else if (l.startsWith("crc32c=")) {
        crcText = l.substring("crc32c=".length()).trim();
      }
    }
    if (line == null || crcText == null) {
      throw corrupt(file);
    }
    CRC32C crc = new CRC32C();
    crc.update(line.getBytes(StandardCharsets.US_ASCII));
    long value;
    try {
      if (Long.parseLong(crcText, 16) != crc.getValue()) {
        throw corrupt(file);
      }
      value = Long.parseLong(line.substring("reserved=".length()));
    } catch (NumberFormatException e) {
      throw corrupt(file);
    }
    if (value < 0) {
      throw corrupt(file);
    }
    return value;
  }

  private static SequenceException corrupt(Path file) {
    return new SequenceException(
        "sequence file " + file + " is corrupt. Restarting the count would reuse sequence numbers; "
            + "set it to a number above the last one the coordinator has seen (see docs/wire-format.md)");
  }


}
