package dev.popw.bench;

import dev.popw.coordinator.store.AcceptedEnvelope;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.Store;
import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;

/**
 * The embedded database's cost per accepted envelope, without the pipeline: rows written in
 * transactions of N, as the coordinator's writer does, into the envelope table of schema version 2
 * (hash primary key, did:key device column with a foreign key) and of the current schema (through
 * {@link dev.popw.coordinator.store.EnvelopeStore#persist}, the coordinator's own write). 200 devices round-robin, 200-byte envelopes,
 * random hashes; prints microseconds per row over the rows after a warm-up.
 *
 * <p>Usage: {@code bench/run schema [--rows N] [--warmup N] [--per-commit N,N]}.
 */
public final class SchemaInsertBenchmark {
  private static final int DEVICES = 200;

  private SchemaInsertBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rows = 100_000;
    int warmup = 30_000;
    List<Integer> perCommit = List.of(200, 1000);
    BenchArgs.pairsOrExit(args, 0, "usage: SchemaInsertBenchmark [--rows N] [--warmup N] [--per-commit N,N]");
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rows" -> rows = Integer.parseInt(args[i + 1]);
        case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
        case "--per-commit" -> perCommit = Stream.of(args[i + 1].split(",")).map(Integer::parseInt).toList();
        default -> {
          System.err.println("usage: SchemaInsertBenchmark [--rows N] [--warmup N] [--per-commit N,N]");
          System.exit(2);
        }
      }
    }
    List<DeviceId> devices = new ArrayList<>();
    SecureRandom sr = new SecureRandom();
    for (int d = 0; d < DEVICES; d++) {
      devices.add(SoftwareSigner.generate(KeyType.ED25519, sr).deviceId());
    }
    System.out.printf("H2 envelope rows, %,d measured after %,d, %d devices%n", rows, warmup, DEVICES);
    for (int per : perCommit) {
      double v2 = version2(devices, warmup, rows, per);
      double v3 = current(devices, warmup, rows, per, true);
      double cur = current(devices, warmup, rows, per, false);
      System.out.printf("  %,5d rows per commit: schema v2 %.1f us per row, v3 (no receipt-time index) %.1f, current %.1f"
          + " (v2/current %.2fx; the v4 receipt-time index adds %.1f%%)%n", per, v2, v3, cur, v2 / cur, 100 * (cur - v3) / v3);
    }
  }

  private static double version2(List<DeviceId> devices, int warmup, int rows, int per) throws Exception {
    Path dir = Files.createTempDirectory("popw-schema-v2");
    String url = "jdbc:h2:file:" + dir.resolve("coordinator").toAbsolutePath()
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0";
    try {
      Flyway.configure().locations("classpath:db/migration").dataSource(url, "sa", "").target("2").load().migrate();
      try (Connection c = DriverManager.getConnection(url, "sa", "")) {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO devices (device_id, key_type, public_key, owner_address, kind, status,"
            + " registered_at, registration) VALUES (?,1,?,'0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',1,'ACTIVE',0,?)")) {
          for (DeviceId d : devices) {
            ps.setString(1, d.toString());
            ps.setBytes(2, d.publicKey());
            ps.setBytes(3, new byte[1]);
            ps.executeUpdate();
          }
        }
        c.setAutoCommit(false);
        Random r = new Random(1);
        long[] seq = new long[devices.size()];
        byte[] envelope = new byte[200];
        long start = 0;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO envelopes (envelope_hash, device_id, sequence, device_time, received_at,"
            + " payload_kind, flags, envelope, batch_id) VALUES (?,?,?,?,?,?,?,?,?)")) {
          for (int i = 0; i < warmup + rows; i++) {
            if (i == warmup) {
              start = System.nanoTime();
            }
            int d = i % devices.size();
            byte[] hash = new byte[32];
            r.nextBytes(hash);
            ps.setBytes(1, hash);
            ps.setString(2, devices.get(d).toString());
            ps.setLong(3, ++seq[d]);
            ps.setLong(4, i);
            ps.setLong(5, i);
            ps.setInt(6, 1);
            ps.setInt(7, 0);
            ps.setBytes(8, envelope);
            ps.setLong(9, i / 10_000 + 1);
            ps.addBatch();
            if ((i + 1) % per == 0) {
              ps.executeBatch();
              c.commit();
            }
          }
          ps.executeBatch();
          c.commit();
        }
        return (System.nanoTime() - start) / 1e3 / rows;
      }
    } finally {
      delete(dir);
    }
  }

  /** @param withoutReceiptIndex drop schema v4's index on received_at: the envelope table as version 3 had it */
  private static double current(List<DeviceId> devices, int warmup, int rows, int per, boolean withoutReceiptIndex) throws Exception {
    Path dir = Files.createTempDirectory("popw-schema-current");
    try (Database db = Database.embedded(dir.resolve("coordinator"))) {
      if (withoutReceiptIndex) {
        try (Connection c = db.dataSource().getConnection(); var st = c.createStatement()) {
          st.execute("DROP INDEX envelopes_received");
        }
      }
      Store store = new Store(db);
      for (DeviceId d : devices) {
        store.devices().upsertDevice(d, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 1, null, null, null, 0, new byte[1]);
      }
      Random r = new Random(1);
      long[] seq = new long[devices.size()];
      byte[] envelope = new byte[200];
      long start = 0;
      List<AcceptedEnvelope> batch = new ArrayList<>(per);
      long[] batchIds = new long[per];
      for (int i = 0; i < warmup + rows; i++) {
        if (i == warmup) {
          start = System.nanoTime();
        }
        int d = i % devices.size();
        byte[] hash = new byte[32];
        r.nextBytes(hash);
        batchIds[batch.size()] = i / 10_000 + 1;
        batch.add(new AcceptedEnvelope(hash, devices.get(d).toString(), ++seq[d], i, i, 1, 0, envelope));
        if (batch.size() == per) {
          store.envelopes().persist(batch, batchIds, List.of());
          batch.clear();
        }
      }
      if (!batch.isEmpty()) {
        store.envelopes().persist(batch, java.util.Arrays.copyOf(batchIds, batch.size()), List.of());
      }
      return (System.nanoTime() - start) / 1e3 / rows;
    } finally {
      delete(dir);
    }
  }

  private static void delete(Path dir) throws java.io.IOException {
    try (Stream<Path> w = Files.walk(dir)) {
      w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
