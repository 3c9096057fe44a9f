package dev.popw.internal.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Small durable-file primitives shared by the outbox and the sequence counter. */
public final class Storage {
  private Storage() {}

  /**
   * Takes an exclusive lock on {@code lockFile} (created if needed), for the life of the returned
   * lock. Returns {@code null} if another process, or another holder in this JVM, has it.
   */
  public static FileLock tryLockExclusive(Path lockFile) throws IOException {
    FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      FileLock lock = ch.tryLock();
      if (lock == null) {
        ch.close();
      }
      return lock;
    } catch (OverlappingFileLockException e) {
      ch.close();
      return null;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** Releases a lock from {@link #tryLockExclusive} and closes its file. */
  public static void release(FileLock lock) {
    try {
      lock.release();
    } catch (IOException e) {
      // closing the channel releases it as well
    }
    try {
      lock.channel().close();
    } catch (IOException e) {
      // nothing more to do
    }
  }

  /**
   * Replaces {@code target} with {@code content} atomically and durably: write a temporary
   * sibling, force it, rename it over the target, force the directory.
   */
  public static void writeAtomically(Path target, byte[] content) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(content);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDirectory(target.toAbsolutePath().getParent());
  }

  /** Forces a directory's entries (a created or renamed file) to disk, where the platform allows. */
  public static void fsyncDirectory(Path dir) {
    if (dir == null) {
      return;
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // some platforms cannot open a directory; the rename is still atomic there
    }
  }
}
