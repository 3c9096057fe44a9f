package dev.popw.coordinator.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/** Sealed batches, the envelopes they hold, and their settlement state. Thread-safe. */
public final class BatchStore {
  private final DataSource ds;
  private final boolean postgres;

  BatchStore(DataSource ds, boolean postgres) {
    this.ds = ds;
    this.postgres = postgres;
  }

  /** Stores a sealed batch whose envelopes already carry its id. */
  public SealedBatch insertBatch(long id, byte[] root, int count, long now) {
    Jdbc.update(ds, "INSERT INTO batches (batch_id, merkle_root, envelope_count, sealed_at, status) VALUES (?,?,?,?,'SEALED')", id, root, count, now);
    return new SealedBatch(id, root, count, now);
  }

  public Optional<SealedBatch> batch(long id) {
    return queryBatch("SELECT batch_id, merkle_root, envelope_count, sealed_at FROM batches WHERE batch_id=?", id);
  }

  /** One page of batches, newest first. */
  public List<SealedBatch> batches(int offset, int limit) {
    List<SealedBatch> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT batch_id, merkle_root, envelope_count, sealed_at FROM batches ORDER BY batch_id DESC LIMIT ? OFFSET ?")) {
      ps.setInt(1, limit);
      ps.setInt(2, offset);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new SealedBatch(rs.getLong(1), rs.getBytes(2), rs.getInt(3), rs.getLong(4)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read batches: " + e.getMessage(), e);
    }
  }

  /** The batch an envelope was sealed into, if any. */
  public Optional<SealedBatch> batchOf(byte[] envelopeHash) {
    return queryBatch("SELECT b.batch_id, b.merkle_root, b.envelope_count, b.sealed_at FROM batches b JOIN envelopes e ON e.batch_id = b.batch_id"
        + " WHERE " + EnvelopeStore.byHash("e", postgres), EnvelopeStore.hashParameters(envelopeHash, postgres));
  }

  /** The highest sealed batch id, 0 when none. */
  public long maxSealedBatchId() {
    return Jdbc.scalar(ds, "SELECT COALESCE(MAX(batch_id), 0) FROM batches");
  }

  /** The highest batch id any envelope carries, 0 when none. */
  public long maxAssignedBatchId() {
    return Jdbc.scalar(ds, "SELECT COALESCE(MAX(batch_id), 0) FROM envelopes");
  }

  /** Envelopes carrying a batch id. */
  public long countInBatch(long id) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM envelopes WHERE batch_id=?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot count batch " + id + ": " + e.getMessage(), e);
    }
  }

  /** All envelope hashes of a batch. */
  public List<byte[]> batchHashes(long batchId) {
    List<byte[]> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT envelope_hash FROM envelopes WHERE batch_id=?")) {
      ps.setLong(1, batchId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getBytes(1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read batch " + batchId + ": " + e.getMessage(), e);
    }
  }

  /** Gives envelopes written without a batch id (by an older version) the id of the open batch. */
  public int adoptUnassigned(long openBatchId) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE envelopes SET batch_id=? WHERE batch_id IS NULL")) {
      ps.setLong(1, openBatchId);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot assign unbatched envelopes: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- a cluster's sealer

  /**
   * Envelopes without a batch, counted up to {@code limit}: what a cluster's sealer looks at (on a
   * cluster's schema ingest nodes write envelopes with no batch id; the node holding the sealing
   * role gives them one as it seals).
   */
  public long countUnbatched(int limit) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM (SELECT 1 FROM envelopes WHERE batch_id IS NULL LIMIT ?) u")) {
      ps.setInt(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot count unbatched envelopes: " + e.getMessage(), e);
    }
  }

  /**
   * Moves the {@code batch_ids} sequence past every batch id in use: the sealer of a cluster calls
   * it when it takes the role (a coordinator that ran alone on the schema counted in memory).
   * PostgreSQL only; safe because only the role's holder takes batch ids.
   */
  public void syncBatchIds() {
    Jdbc.scalar(ds, "SELECT setval('batch_ids', GREATEST((SELECT last_value FROM batch_ids),"
        + " (SELECT COALESCE(MAX(batch_id), 0) FROM batches), (SELECT COALESCE(MAX(batch_id), 0) FROM envelopes), 1))");
  }

  /**
   * Seals the oldest envelopes without a batch (at most {@code max}, in write order) as one new
   * batch, in one transaction: a batch id from the {@code batch_ids} sequence, the envelopes
   * marked with it, and the batch row with the root {@code root} computes over their hashes. Rows
   * another transaction has locked are skipped ({@code FOR UPDATE SKIP LOCKED}), and a row is only
   * taken while its batch id is NULL, so no envelope can land in two batches even if two nodes
   * briefly both believe they are the sealer. PostgreSQL only.
   *
   * @return the sealed batch, or empty when there was nothing to seal
   */
  public Optional<SealedBatch> sealUnbatched(int max, long now, java.util.function.Function<List<byte[]>, byte[]> root) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        List<Long> ordinals = new ArrayList<>();
        List<byte[]> hashes = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT ordinal, envelope_hash FROM envelopes WHERE batch_id IS NULL ORDER BY ordinal"
            + " LIMIT ? FOR UPDATE SKIP LOCKED")) {
          ps.setInt(1, max);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              ordinals.add(rs.getLong(1));
              hashes.add(rs.getBytes(2));
            }
          }
        }
        if (ordinals.isEmpty()) {
          c.rollback();
          return Optional.empty();
        }
        long id = Jdbc.scalar(c, "SELECT nextval('batch_ids')");
        try (PreparedStatement up = c.prepareStatement("UPDATE envelopes SET batch_id=? WHERE ordinal=? AND batch_id IS NULL")) {
          for (long o : ordinals) {
            up.setLong(1, id);
            up.setLong(2, o);
            up.addBatch();
          }
          for (int n : up.executeBatch()) {
            if (n != 1) {
              throw new StoreException("an envelope chosen for batch " + id + " was batched by another transaction");
            }
          }
        }
        byte[] r = root.apply(hashes);
        try (PreparedStatement ins = c.prepareStatement(
            "INSERT INTO batches (batch_id, merkle_root, envelope_count, sealed_at, status) VALUES (?,?,?,?,'SEALED')")) {
          ins.setLong(1, id);
          ins.setBytes(2, r);
          ins.setInt(3, hashes.size());
          ins.setLong(4, now);
          ins.executeUpdate();
        }
        c.commit();
        return Optional.of(new SealedBatch(id, r, hashes.size(), now));
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot seal a batch: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- settlement

  private static final String SETTLEMENT_COLUMNS = "batch_id, merkle_root, envelope_count, sealed_at, status, tx_hash, tx_nonce, tx_raw,"
      + " block_number, submitted_at, confirmed_at, chain_id, settlement_note FROM batches";

  /** A batch with its settlement state. */
  public Optional<BatchSettlement> settlement(long batchId) {
    List<BatchSettlement> l = settlements("SELECT " + SETTLEMENT_COLUMNS + " WHERE batch_id=?", batchId);
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  /** The oldest batch not yet CONFIRMED (nor FAILED): the next one settlement works on. */
  public Optional<BatchSettlement> oldestUnsettled() {
    List<BatchSettlement> l = settlements("SELECT " + SETTLEMENT_COLUMNS
        + " WHERE status IN ('SEALED','SUBMITTED') ORDER BY batch_id LIMIT 1");
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  /** Batches in each settlement status. */
  public Map<String, Long> settlementCounts() {
    Map<String, Long> out = new LinkedHashMap<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT status, COUNT(*) FROM batches GROUP BY status ORDER BY status");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot count batches: " + e.getMessage(), e);
    }
  }

  /** Records the signed commit transaction; called before it is broadcast, so it is never lost. */
  public void markSubmitted(long batchId, String txHash, long nonce, String raw, long chainId, long now) {
    Jdbc.update(ds, "UPDATE batches SET status='SUBMITTED', tx_hash=?, tx_nonce=?, tx_raw=?, chain_id=?, submitted_at=?, block_number=NULL"
        + " WHERE batch_id=? AND status IN ('SEALED','SUBMITTED')",
        hexBytes(txHash), nonce, hexBytes(raw), chainId, now, batchId);
  }

  /** The commit is in a block (not yet confirmed); {@code txHash} may differ if another tx committed it. */
  public void markIncluded(long batchId, String txHash, long blockNumber) {
    Jdbc.update(ds, "UPDATE batches SET status='SUBMITTED', tx_hash=?, block_number=? WHERE batch_id=? AND status IN ('SEALED','SUBMITTED')",
        hexBytes(txHash), blockNumber, batchId);
  }

  public void markConfirmed(long batchId, long now) {
    Jdbc.update(ds, "UPDATE batches SET status='CONFIRMED', confirmed_at=?, tx_raw=NULL WHERE batch_id=? AND status='SUBMITTED'", now, batchId);
  }

  public void markFailed(long batchId, String note) {
    Jdbc.update(ds, "UPDATE batches SET status='FAILED', settlement_note=? WHERE batch_id=?", Jdbc.truncate(note), batchId);
  }

  /** Back to SEALED (the mined commit vanished in a reorg): it will be sent again. */
  public void markUnsubmitted(long batchId, String note) {
    Jdbc.update(ds, "UPDATE batches SET status='SEALED', tx_hash=NULL, tx_nonce=NULL, tx_raw=NULL, block_number=NULL, settlement_note=?"
        + " WHERE batch_id=?", Jdbc.truncate(note), batchId);
  }

  private List<BatchSettlement> settlements(String sql, Object... args) {
    List<BatchSettlement> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new BatchSettlement(new SealedBatch(rs.getLong(1), rs.getBytes(2), rs.getInt(3), rs.getLong(4)),
              rs.getString(5), hex(rs.getBytes(6)), (Long) rs.getObject(7, Long.class), hex(rs.getBytes(8)),
              (Long) rs.getObject(9, Long.class), (Long) rs.getObject(10, Long.class), (Long) rs.getObject(11, Long.class),
              (Long) rs.getObject(12, Long.class), rs.getString(13)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read batch settlement: " + e.getMessage(), e);
    }
  }

  private Optional<SealedBatch> queryBatch(String sql, Object... args) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new SealedBatch(rs.getLong(1), rs.getBytes(2), rs.getInt(3), rs.getLong(4)));
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read batch: " + e.getMessage(), e);
    }
  }

  private static String hex(byte[] b) {
    return b == null ? null : "0x" + HexFormat.of().formatHex(b);
  }

  private static byte[] hexBytes(String hex) {
    return HexFormat.of().parseHex(hex.startsWith("0x") ? hex.substring(2) : hex);
  }
}
