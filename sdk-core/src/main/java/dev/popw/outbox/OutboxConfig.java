package dev.popw.outbox;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/** Immutable outbox settings. Build with {@link #builder(Path)}. */
public final class OutboxConfig {
  /** Default byte bound: 64 MiB, about 300,000 typical envelopes. */
  public static final long DEFAULT_MAX_BYTES = 64L << 20;

  private final Path directory;
  private final long maxBytes;
  private final long segmentBytes;
  private final FsyncPolicy fsync;
  private final OverflowPolicy overflow;
  private final Clock clock;
  private final int maxRecordBytes;

  private OutboxConfig(Builder b) {
    this.directory = b.directory;
    this.maxBytes = b.maxBytes;
    this.segmentBytes = b.segmentBytes > 0 ? b.segmentBytes : Math.max(64L << 10, Math.min(8L << 20, b.maxBytes / 16));
    this.fsync = b.fsync;
    this.overflow = b.overflow;
    this.clock = b.clock;
    this.maxRecordBytes = b.maxRecordBytes;
  }

  public static Builder builder(Path directory) {
    return new Builder(directory);
  }

  public Path directory() {
    return directory;
  }

  public long maxBytes() {
    return maxBytes;
  }

  public long segmentBytes() {
    return segmentBytes;
  }

  public FsyncPolicy fsync() {
    return fsync;
  }

  public OverflowPolicy overflow() {
    return overflow;
  }

  public Clock clock() {
    return clock;
  }

  public int maxRecordBytes() {
    return maxRecordBytes;
  }

  /** Builds an {@link OutboxConfig}; {@link #build()} checks the values. */
  public static final class Builder {
    private final Path directory;
    private long maxBytes = DEFAULT_MAX_BYTES;
    private long segmentBytes;
    private FsyncPolicy fsync = FsyncPolicy.groupCommit(Duration.ofMillis(5));
    private OverflowPolicy overflow = OverflowPolicy.DROP_OLDEST;
    private Clock clock = Clock.systemUTC();
    private int maxRecordBytes = 1 << 20;

    private Builder(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
    }

    /** The byte bound of all segment files together. Default 64 MiB. */
    public Builder maxBytes(long maxBytes) {
      this.maxBytes = maxBytes;
      return this;
    }

    /** Size at which a segment file is closed and a new one started. Default: maxBytes/16, 64 KiB to 8 MiB. */
    public Builder segmentBytes(long segmentBytes) {
      this.segmentBytes = segmentBytes;
      return this;
    }

    /** Default: group commit every 5 ms. */
    public Builder fsync(FsyncPolicy fsync) {
      this.fsync = Objects.requireNonNull(fsync, "fsync");
      return this;
    }

    /** Default: {@link OverflowPolicy#DROP_OLDEST}. */
    public Builder overflow(OverflowPolicy overflow) {
      this.overflow = Objects.requireNonNull(overflow, "overflow");
      return this;
    }

    /** The clock for expiry. Default: the system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Largest single payload accepted. Default 1 MiB. */
    public Builder maxRecordBytes(int maxRecordBytes) {
      this.maxRecordBytes = maxRecordBytes;
      return this;
    }

    public OutboxConfig build() {
      if (maxBytes < 256L << 10) {
        throw new IllegalArgumentException("outbox maxBytes must be at least 256 KiB, got " + maxBytes);
      }
      if (segmentBytes != 0 && (segmentBytes < 4096 || segmentBytes > maxBytes / 4)) {
        throw new IllegalArgumentException("outbox segmentBytes must be between 4 KiB and maxBytes/4, got " + segmentBytes);
      }
      if (maxRecordBytes < 64) {
        throw new IllegalArgumentException("outbox maxRecordBytes must be at least 64, got " + maxRecordBytes);
      }
      return new OutboxConfig(this);
    }
  }
}
