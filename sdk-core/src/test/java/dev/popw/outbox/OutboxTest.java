package dev.popw.outbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.testing.MutableClock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboxTest {
  @TempDir Path dir;

  private Outbox open(FsyncPolicy fsync) {
    return Outbox.open(OutboxConfig.builder(dir).fsync(fsync).build());
  }

  private static byte[] payload(int i) {
    return ("envelope-" + i + "-" + "x".repeat(i % 50)).getBytes();
  }

  private static List<OutboxEntry> drain(Outbox o) {
    List<OutboxEntry> all = new ArrayList<>();
    List<OutboxEntry> batch;
    while (!(batch = o.poll(1000)).isEmpty()) {
      all.addAll(batch);
    }
    return all;
  }

  @Test
  void appended_entries_survive_a_reopen_in_order() {
    try (Outbox o = open(FsyncPolicy.everyWrite())) {
      for (int i = 1; i <= 500; i++) {
        OutboxEntry e = o.append(payload(i), 0).join();
        assertEquals(i, e.id());
      }
    }
    try (Outbox o = open(FsyncPolicy.groupCommit(Duration.ofMillis(2)))) {
      List<OutboxEntry> all = drain(o);
      assertEquals(500, all.size());
      for (int i = 0; i < 500; i++) {
        assertEquals(i + 1, all.get(i).id());
        assertArrayEquals(payload(i + 1), all.get(i).payload());
      }
      assertEquals(501, o.append(payload(501), 0).join().id());
      assertArrayEquals(payload(501), o.lastAppended().orElseThrow().payload());
    }
  }

  @Test
  void acknowledged_entries_are_not_delivered_again_after_a_reopen() {
    try (Outbox o = open(FsyncPolicy.everyWrite())) {
      for (int i = 1; i <= 100; i++) {
        o.append(payload(i), 0).join();
      }
      for (OutboxEntry e : o.poll(60)) {
        o.acknowledge(e.id());
      }
      assertEquals(40, o.stats().pending());
    }
    try (Outbox o = open(FsyncPolicy.everyWrite())) {
      List<OutboxEntry> rest = drain(o);
      assertEquals(40, rest.size());
      assertEquals(61, rest.get(0).id());
      assertEquals(40, o.stats().pending());
    }
  }

  @Test
  void out_of_order_acknowledgements_advance_only_the_contiguous_prefix_and_rewind_resends_the_rest() {
    try (Outbox o = open(FsyncPolicy.everyWrite())) {
      for (int i = 1; i <= 10; i++) {
        o.append(payload(i), 0).join();
      }
      List<OutboxEntry> first = o.poll(10);
      o.acknowledge(1);
      o.acknowledge(2);
      o.acknowledge(5);
      o.acknowledge(7);
      assertEquals(6, o.stats().pending());
      o.rewind();
      List<Long> again = drain(o).stream().map(OutboxEntry::id).toList();
      assertEquals(List.of(3L, 4L, 6L, 8L, 9L, 10L), again);
      assertEquals(10, first.size());
    }
  }

  /** Power loss in the middle of a write leaves a partial record: it is cut off, nothing else. */
  @Test
  void a_torn_last_record_is_truncated_and_every_earlier_record_survives() throws IOException {
    fill(100);
    Path seg = onlySegment();
    long size = Files.size(seg);
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
      ch.truncate(size - 7);
    }
    try (Outbox o = open(FsyncPolicy.everyWrite())) {
      List<OutboxEntry> all = drain(o);
      assertEquals(99, all.size());
      assertEquals(99, all.get(98).id());
      assertEquals(100, o.append(payload(100), 0).join().id(), "ids continue after the last intact record");
    }
    try (Outbox o = open(FsyncPolicy.everyWrite())) {
      assertEquals(100, drain(o).size());
    }
  }

  @Test
  void garbage_after_the_last_record_is_truncated() throws IOException {
    fill(50);
    Path seg = onlySegment();
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.wrap(new byte[] {0, 0, 1, 0, 9, 9, 9, 9, 1, 2, 3}));
    }
    try (Outbox o = open(FsyncPolicy.everyWrite())) {
      assertEquals(50, drain(o).size());
    }
  }

  @Test
  void a_corrupted_last_record_fails_its_crc_and_is_dropped() throws IOException {
    fill(20);
    Path seg = onlySegment();
    long size = Files.size(seg);
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, size - 3);
      b.put(0, (byte) (b.get(0) ^ 0x40));
      b.rewind();
      ch.write(b, size - 3);
    }
    try (Outbox o = open(FsyncPolicy.everyWrite())) {
      List<OutboxEntry> all = drain(o);
      assertEquals(19, all.size());
      assertArrayEquals(payload(19), all.get(18).payload());
    }
  }

  @Test
  void drop_oldest_policy_keeps_the_newest_entries_within_the_bound_and_counts_the_drops() {
    OutboxConfig cfg = OutboxConfig.builder(dir).maxBytes(256 << 10).segmentBytes(16 << 10)
        .fsync(FsyncPolicy.groupCommit(Duration.ofMillis(1))).build();
    int n = 5000;
    try (Outbox o = Outbox.open(cfg)) {
      CompletableFuture<OutboxEntry> last = null;
      for (int i = 1; i <= n; i++) {
        last = o.append(new byte[100], 0);
      }
      last.join();
      OutboxStats s = o.stats();
      assertTrue(s.dropped() > 0, s.toString());
      assertTrue(s.bytes() <= cfg.maxBytes(), s.toString());
      assertEquals(n, s.pending() + s.dropped(), "every entry is either pending or counted as dropped: " + s);
      List<OutboxEntry> left = drain(o);
      assertEquals(s.pending(), left.size());
      assertEquals(n, left.get(left.size() - 1).id(), "the newest entry is kept");
      assertEquals(s.dropped() + 1, left.get(0).id(), "the oldest ones went first");
    }
  }

  @Test
  void reject_new_policy_refuses_entries_when_full_and_keeps_the_old_ones() {
    OutboxConfig cfg = OutboxConfig.builder(dir).maxBytes(256 << 10).segmentBytes(16 << 10)
        .overflow(OverflowPolicy.REJECT_NEW).fsync(FsyncPolicy.groupCommit(Duration.ofMillis(1))).build();
    try (Outbox o = Outbox.open(cfg)) {
      int accepted = 0;
      int refused = 0;
      List<CompletableFuture<OutboxEntry>> futures = new ArrayList<>();
      for (int i = 0; i < 5000; i++) {
        futures.add(o.append(new byte[100], 0));
      }
      for (CompletableFuture<OutboxEntry> f : futures) {
        try {
          f.join();
          accepted++;
        } catch (CompletionException e) {
          assertInstanceOf(OutboxFullException.class, e.getCause());
          refused++;
        }
      }
      assertTrue(refused > 0);
      assertEquals(refused, o.stats().dropped());
      List<OutboxEntry> left = drain(o);
      assertEquals(accepted, left.size());
      assertEquals(1, left.get(0).id(), "the oldest entries are kept");
    }
  }

  @Test
  void expired_entries_are_dropped_unsent_and_counted() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));
    OutboxConfig cfg = OutboxConfig.builder(dir).clock(clock).fsync(FsyncPolicy.everyWrite()).build();
    try (Outbox o = Outbox.open(cfg)) {
      long soon = clock.millis() + 60_000;
      o.append(payload(1), 0).join();
      o.append(payload(2), soon).join();
      o.append(payload(3), soon).join();
      o.append(payload(4), clock.millis() + 3_600_000).join();
      clock.advance(Duration.ofMinutes(5));
      List<Long> delivered = drain(o).stream().map(OutboxEntry::id).toList();
      assertEquals(List.of(1L, 4L), delivered);
      assertEquals(2, o.stats().expired());
      o.acknowledge(1);
      o.acknowledge(4);
      assertEquals(0, o.stats().pending());
    }
  }

  @Test
  void fully_acknowledged_segments_are_deleted() throws Exception {
    OutboxConfig cfg = OutboxConfig.builder(dir).segmentBytes(8 << 10).fsync(FsyncPolicy.groupCommit(Duration.ofMillis(1))).build();
    try (Outbox o = Outbox.open(cfg)) {
      CompletableFuture<OutboxEntry> last = null;
      for (int i = 0; i < 2000; i++) {
        last = o.append(new byte[200], 0);
      }
      last.join();
      long before = segmentCount();
      assertTrue(before > 10);
      for (OutboxEntry e : drain(o)) {
        o.acknowledge(e.id());
      }
      Thread.sleep(300); // the background maintenance runs every few ms
      assertTrue(segmentCount() <= 2, "segments left: " + segmentCount());
      assertEquals(0, o.stats().pending());
    }
  }

  @Test
  void a_second_process_cannot_open_the_same_outbox() {
    try (Outbox o = open(FsyncPolicy.everyWrite())) {
      OutboxException e = assertThrows(OutboxException.class, () -> open(FsyncPolicy.everyWrite()));
      assertTrue(e.getMessage().contains("in use"), e.getMessage());
    }
  }

  @Test
  void an_oversized_payload_is_refused_with_a_clear_error() {
    try (Outbox o = Outbox.open(OutboxConfig.builder(dir).maxRecordBytes(1024).build())) {
      CompletionException e = assertThrows(CompletionException.class, () -> o.append(new byte[2000], 0).join());
      assertTrue(e.getCause().getMessage().contains("exceeds"), e.getCause().getMessage());
    }
  }

  private void fill(int n) {
    try (Outbox o = open(FsyncPolicy.everyWrite())) {
      for (int i = 1; i <= n; i++) {
        o.append(payload(i), 0).join();
      }
    }
  }

  private Path onlySegment() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> segs = s.filter(p -> p.toString().endsWith(".seg")).toList();
      assertEquals(1, segs.size());
      return segs.get(0);
    }
  }

  private long segmentCount() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".seg")).count();
    }
  }
}
