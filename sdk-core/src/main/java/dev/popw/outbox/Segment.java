package dev.popw.outbox;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * One append-only segment file, {@code <first id, 20 digits>.seg}. Records:
 *
 * <pre>
 *   u32 bodyLength | u32 crc32c(body) | body = u64 id | u64 expiresAtMs | u8 flags | payload
 * </pre>
 *
 * Big-endian. Not thread-safe: {@link Outbox} guards it with its lock, except positional reads.
 */
final class Segment {
  static final int HEADER = 8;
  static final int BODY_FIXED = 17;
  static final String SUFFIX = ".seg";

  final long firstId;
  final Path path;
  final FileChannel channel;
  long lastId;
  long size;
  boolean sealed;

  private Segment(long firstId, Path path, FileChannel channel, long size) {
    this.firstId = firstId;
    this.path = path;
    this.channel = channel;
    this.lastId = firstId - 1;
    this.size = size;
  }

  static Segment create(Path dir, long firstId) throws IOException {
    Path p = dir.resolve(name(firstId));
    FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    return new Segment(firstId, p, ch, 0);
  }

  static Segment open(Path p, long firstId) throws IOException {
    FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
    return new Segment(firstId, p, ch, ch.size());
  }

  static String name(long firstId) {
    return String.format("%020d%s", firstId, SUFFIX);
  }

  /** Parses the first id from a segment file name, or -1 if it is not one. */
  static long parseName(String fileName) {
    if (!fileName.endsWith(SUFFIX) || fileName.length() != 20 + SUFFIX.length()) {
      return -1;
    }
    try {
      return Long.parseLong(fileName.substring(0, 20));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  boolean isEmpty() {
    return lastId < firstId;
  }

  static ByteBuffer encode(long id, long expiresAtMs, byte[] payload) {
    int body = BODY_FIXED + payload.length;
    ByteBuffer buf = ByteBuffer.allocate(HEADER + body);
    buf.putInt(body).putInt(0).putLong(id).putLong(expiresAtMs).put((byte) 0).put(payload);
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), HEADER, body);
    buf.putInt(4, (int) crc.getValue());
    buf.flip();
    return buf;
  }

  void append(ByteBuffer record) throws IOException {
    long pos = size;
    while (record.hasRemaining()) {
      pos += channel.write(record, pos);
    }
    size = pos;
  }

  /**
   * Reads the record at {@code position}. Returns {@code null} if there is no complete, intact
   * record there (torn, corrupt or past the end).
   */
  Record read(long position, long limit, int maxBody) throws IOException {
    if (position + HEADER + BODY_FIXED > limit) {
      return null;
    }
    ByteBuffer header = ByteBuffer.allocate(HEADER);
    readFully(header, position);
    int body = header.getInt(0);
    int crcValue = header.getInt(4);
    if (body < BODY_FIXED || body > maxBody || position + HEADER + body > limit) {
      return null;
    }
    ByteBuffer b = ByteBuffer.allocate(body);
    readFully(b, position + HEADER);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, body);
    if ((int) crc.getValue() != crcValue) {
      return null;
    }
    long id = b.getLong(0);
    long expires = b.getLong(8);
    byte[] payload = new byte[body - BODY_FIXED];
    System.arraycopy(b.array(), BODY_FIXED, payload, 0, payload.length);
    return new Record(id, expires, payload, HEADER + body);
  }

  private void readFully(ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = channel.read(buf, pos);
      if (n < 0) {
        throw new IOException("unexpected end of " + path);
      }
      pos += n;
    }
    buf.flip();
  }

  void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // closing a file we are done with: nothing to recover
    }
  }

  /** A decoded record. */
  static final class Record {
    final long id;
    final long expiresAtMs;
    final byte[] payload;
    final int length;

    Record(long id, long expiresAtMs, byte[] payload, int length) {
      this.id = id;
      this.expiresAtMs = expiresAtMs;
      this.payload = payload;
      this.length = length;
    }
  }

  /**
   * Walks the records of a segment from the start with large reads, checking each CRC, and stops
   * at the first record that is torn or corrupt.
   */
  static final class Scanner {
    private final Segment segment;
    private final int maxBody;
    private final boolean checkCrc;
    private final ByteBuffer buf;
    private long bufStart;
    long position;
    long lastGoodId;
    long lastRecordPosition = -1;

    Scanner(Segment segment, int maxBody, boolean checkCrc) {
      this.segment = segment;
      this.maxBody = maxBody;
      this.checkCrc = checkCrc;
      this.lastGoodId = segment.firstId - 1;
      this.buf = ByteBuffer.allocate(Math.max(1 << 20, HEADER + maxBody));
      buf.limit(0);
    }

    /**
     * Advances over the next record if it is intact and carries the expected id. Returns false at
     * the end of the intact data.
     */
    boolean next() throws IOException {
      if (!ensure(HEADER + BODY_FIXED)) {
        return false;
      }
      int off = (int) (position - bufStart);
      int body = buf.getInt(off);
      int crcValue = buf.getInt(off + 4);
      if (body < BODY_FIXED || body > maxBody) {
        return false;
      }
      if (!ensure(HEADER + body)) {
        return false;
      }
      off = (int) (position - bufStart);
      long id = buf.getLong(off + HEADER);
      if (id != lastGoodId + 1) {
        return false;
      }
      if (checkCrc) {
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), off + HEADER, body);
        if ((int) crc.getValue() != crcValue) {
          return false;
        }
      }
      lastRecordPosition = position;
      position += HEADER + body;
      lastGoodId = id;
      return true;
    }

    /** The id of the record at the current position, without validating it; -1 if none. */
    long peekId() throws IOException {
      if (!ensure(HEADER + 8)) {
        return -1;
      }
      return buf.getLong((int) (position - bufStart) + HEADER);
    }

    private boolean ensure(int bytes) throws IOException {
      if (position + bytes > segment.size) {
        return false;
      }
      if (position >= bufStart && position + bytes <= bufStart + buf.limit()) {
        return true;
      }
      buf.clear();
      long pos = position;
      while (buf.hasRemaining() && pos < segment.size) {
        int n = segment.channel.read(buf, pos);
        if (n < 0) {
          break;
        }
        pos += n;
      }
      buf.flip();
      bufStart = position;
      return buf.limit() >= bytes;
    }
  }
}
