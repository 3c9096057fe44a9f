package dev.popw.coordinator.validation.coverage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The coverage denylist: devices, and beaconer–witness pairs, whose reports are INVALID
 * (DENYLISTED, DENYLISTED_PAIR) while an entry is in force. One entry a line:
 *
 * <pre>
 * # comment
 * did:key:z6Mk...A                      since=2026-11-24T00:00:00Z                     # reason
 * did:key:z6Mk...A did:key:z6Mk...B     since=2026-11-24T00:00:00Z until=2026-12-01T00:00:00Z
 * </pre>
 *
 * An entry is in force for reports <em>received</em> in {@code [since, until)}: a verdict depends
 * on the report's receipt time, never on when validation runs, so adding or ending entries for
 * the open epoch (what the API does) leaves every closed epoch's verdicts as they were. The file
 * is reloaded when it changes (checked at most once a second), without a restart. Thread-safe.
 */
public final class Denylist {
  /** One entry; {@code other} is null for a whole device; {@code untilMs} Long.MAX_VALUE while open. */
  public record Entry(String device, String other, long sinceMs, long untilMs, String reason) {
    public boolean inForce(long atMs) {
      return atMs >= sinceMs && atMs < untilMs;
    }

    public boolean pairOf(String a, String b) {
      return other != null && ((device.equals(a) && other.equals(b)) || (device.equals(b) && other.equals(a)));
    }

    String line() {
      StringBuilder s = new StringBuilder(device);
      if (other != null) {
        s.append(' ').append(other);
      }
      s.append(" since=").append(Instant.ofEpochMilli(sinceMs));
      if (untilMs != Long.MAX_VALUE) {
        s.append(" until=").append(Instant.ofEpochMilli(untilMs));
      }
      if (!reason.isBlank()) {
        s.append(" # ").append(reason.replace('\n', ' '));
      }
      return s.toString();
    }

    /** "since 2026-11-24T00:00:00Z (reason)" for explanations. */
    public String describe() {
      return "since " + Instant.ofEpochMilli(sinceMs) + (untilMs == Long.MAX_VALUE ? "" : " until " + Instant.ofEpochMilli(untilMs))
          + (reason.isBlank() ? "" : " (" + reason + ")");
    }
  }

  private final Path file;
  private volatile List<Entry> entries = List.of();
  private volatile long stamp = Long.MIN_VALUE; // mtime and size of the loaded file
  private volatile long checkedAt = Long.MIN_VALUE;
  private volatile String problem;

  /** A denylist kept in {@code file} (it need not exist yet). */
  public Denylist(Path file) {
    this.file = file;
    reload();
  }

  /** An empty denylist in no file (tests, benchmarks). */
  public static Denylist none() {
    return new Denylist(null);
  }

  /** A denylist holding these entries and no file. */
  public static Denylist of(List<Entry> entries) {
    Denylist d = new Denylist(null);
    d.entries = List.copyOf(entries);
    return d;
  }

  public Path file() {
    return file;
  }

  /** The last problem reading the file (it then keeps its previous entries), or null. */
  public String problem() {
    return problem;
  }

  /** The entries in force now; reloads the file first when it changed. */
  public List<Entry> entries() {
    long now = System.nanoTime();
    if (file != null && now - checkedAt > 1_000_000_000L) {
      checkedAt = now;
      reload();
    }
    return entries;
  }

  /** The entry that denylists this device at a receipt time, if any. */
  public Optional<Entry> device(String id, long atMs, List<Entry> snapshot) {
    for (Entry e : snapshot) {
      if (e.other() == null && e.device().equals(id) && e.inForce(atMs)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** The entry that denylists this pair (either order) at a receipt time, if any. */
  public Optional<Entry> pair(String a, String b, long atMs, List<Entry> snapshot) {
    for (Entry e : snapshot) {
      if (e.pairOf(a, b) && e.inForce(atMs)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** Re-reads the file if its modification time or size changed. */
  public synchronized void reload() {
    if (file == null) {
      return;
    }
    try {
      long s;
      try {
        s = Files.getLastModifiedTime(file).toMillis() * 31 + Files.size(file);
      } catch (NoSuchFileException e) {
        entries = List.of();
        stamp = Long.MIN_VALUE;
        problem = null;
        return;
      }
      if (s == stamp) {
        return;
      }
      entries = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
      stamp = s;
      problem = null;
    } catch (IOException | IllegalArgumentException e) {
      problem = "coverage denylist " + file + ": " + e.getMessage() + "; keeping the previous " + entries.size() + " entries";
    }
  }

  /** Parses the file's lines. */
  public static List<Entry> parse(List<String> lines) {
    List<Entry> out = new ArrayList<>();
    int n = 0;
    for (String raw : lines) {
      n++;
      String line = raw;
      String reason = "";
      int hash = line.indexOf('#');
      if (hash >= 0) {
        reason = line.substring(hash + 1).trim();
        line = line.substring(0, hash);
      }
      line = line.trim();
      if (line.isEmpty()) {
        continue;
      }
      String device = null;
      String other = null;
      Long since = null;
      long until = Long.MAX_VALUE;
      for (String tok : line.split("\\s+")) {
        if (tok.startsWith("since=")) {
          since = time(tok.substring(6), n);
        } else if (tok.startsWith("until=")) {
          until = time(tok.substring(6), n);
        } else if (tok.startsWith("did:key:z") && device == null) {
          device = tok;
        } else if (tok.startsWith("did:key:z") && other == null) {
          other = tok;
        } else {
          throw new IllegalArgumentException("line " + n + ": '" + tok + "' is neither a did:key, since= nor until=");
        }
      }
      if (device == null || since == null) {
        throw new IllegalArgumentException("line " + n + ": an entry is a did:key (a second one for a pair) and since=<ISO-8601 time>");
      }
      if (until <= since) {
        throw new IllegalArgumentException("line " + n + ": until must be after since");
      }
      out.add(new Entry(device, other, since, until, reason));
    }
    return List.copyOf(out);
  }

  private static long time(String s, int line) {
    try {
      return Instant.parse(s).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("line " + line + ": '" + s + "' is not an ISO-8601 time like 2026-11-24T00:00:00Z");
    }
  }

  /**
   * Adds an entry and rewrites the file atomically.
   *
   * @throws IllegalStateException when there is no file or it cannot be written
   */
  public synchronized Entry add(String device, String other, long sinceMs, String reason) {
    reload();
    Entry e = new Entry(device, other, sinceMs, Long.MAX_VALUE, reason == null ? "" : reason);
    List<Entry> next = new ArrayList<>(entries);
    next.add(e);
    write(next);
    return e;
  }

  /**
   * Ends the entries for this device (or pair) that are in force at {@code atMs}: their until
   * becomes {@code atMs}. Nothing is deleted, so earlier epochs re-validate the same.
   *
   * @return how many entries were ended
   */
  public synchronized int end(String device, String other, long atMs) {
    reload();
    List<Entry> next = new ArrayList<>();
    int ended = 0;
    for (Entry e : entries) {
      boolean match = other == null ? e.other() == null && e.device().equals(device) : e.pairOf(device, other);
      if (match && e.untilMs() > atMs) {
        ended++;
        if (e.sinceMs() < atMs) {
          next.add(new Entry(e.device(), e.other(), e.sinceMs(), atMs, e.reason()));
        } // an entry that had not started yet goes away
      } else {
        next.add(e);
      }
    }
    if (ended > 0) {
      write(next);
    }
    return ended;
  }

  private void write(List<Entry> next) {
    if (file == null) {
      entries = List.copyOf(next);
      return;
    }
    next.sort(Comparator.comparingLong(Entry::sinceMs).thenComparing(Entry::device));
    StringBuilder b = new StringBuilder("# PoPW coverage denylist (docs/coverage.md): did:key [did:key of the pair] since=ISO-8601"
        + " [until=ISO-8601] [# reason]\n");
    for (Entry e : next) {
      b.append(e.line()).append('\n');
    }
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".denylist", ".tmp");
      Files.writeString(tmp, b, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      entries = List.copyOf(next);
      stamp = Files.getLastModifiedTime(file).toMillis() * 31 + Files.size(file);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the coverage denylist " + file + ": " + e.getMessage(), e);
    }
  }
}
