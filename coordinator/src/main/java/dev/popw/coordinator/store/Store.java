package dev.popw.coordinator.store;

import javax.sql.DataSource;

/**
 * The coordinator's persistent state, over JDBC, in parts that each own their tables: the device
 * registry ({@link #devices()}), the envelopes and rejections ({@link #envelopes()}), the batches
 * and their settlement ({@link #batches()}), and the work layer's verdicts, device summaries and
 * closed epochs ({@link #verdicts()}). Thread-safe, as each part is.
 *
 * <p>Alone on its database (H2 is embedded; PostgreSQL is locked per schema, see {@link
 * Database#postgres}) a coordinator's parts keep in memory what never changes or only they write.
 * As one node of a cluster ({@link #cluster()}) the database decides: duplicates and equivocation
 * by the unique (device, sequence) key, ordinals, device numbers and batch ids from its sequences
 * (docs/scale-out.md).
 */
public final class Store {
  private final DeviceStore devices;
  private final EnvelopeStore envelopes;
  private final BatchStore batches;
  private final CreditStore credits;
  private final SlashStore slashes;
  private final DataSource ds;
  private final VerdictStore verdicts;
  private final EntropyStore entropy;
  private final GpuChallengeStore gpuChallenges;
  private final boolean cluster;
  private final ExplorerQueries explorer;

  /** A store with the default rejection caps ({@link RejectionLimits#defaults()}). */
  public Store(Database db) {
    this(db, RejectionLimits.defaults());
  }

  /** @param rejectionLimits the bytes of rejections kept as evidence */
  public Store(Database db, RejectionLimits rejectionLimits) {
    DataSource ds = db.dataSource();
    this.ds = ds;
    DeviceNumbers deviceNumbers = new DeviceNumbers(ds);
    this.devices = new DeviceStore(ds, db.isPostgres());
    this.envelopes = new EnvelopeStore(ds, deviceNumbers, rejectionLimits, db.isPostgres(), db.isCluster());
    this.cluster = db.isCluster();
    this.batches = new BatchStore(ds, db.isPostgres());
    this.entropy = new EntropyStore(ds);
    this.gpuChallenges = new GpuChallengeStore(ds, deviceNumbers);
    this.verdicts = new VerdictStore(ds, deviceNumbers, entropy, gpuChallenges);
    this.credits = new CreditStore(ds);
    this.slashes = new SlashStore(ds);
    this.explorer = new ExplorerQueries(ds);
  }

  /** Equivocation evidence and what slashing did with it. */
  public SlashStore slashes() {
    return slashes;
  }

  /** The data API's credit spending and its settlements. */
  public CreditStore credits() {
    return credits;
  }

  /** The database's connections, for stores of other packages (rewards). */
  public javax.sql.DataSource dataSource() {
    return ds;
  }

  /** Whether other coordinators write this schema too (the database decides duplicates and ids). */
  public boolean cluster() {
    return cluster;
  }

  /** The beacon entropy the coordinator issued. */
  public EntropyStore entropy() {
    return entropy;
  }

  /** GPU capacity challenges and pinned GPU fingerprints. */
  public GpuChallengeStore gpuChallenges() {
    return gpuChallenges;
  }

  /** Registered devices and their on-chain attestation. */
  public DeviceStore devices() {
    return devices;
  }

  /** Accepted envelopes and rejections. */
  public EnvelopeStore envelopes() {
    return envelopes;
  }

  /** Sealed batches and their settlement. */
  public BatchStore batches() {
    return batches;
  }

  /** Verdicts, device summaries per epoch, registry snapshots and closed epochs; an epoch's evidence. */
  public VerdictStore verdicts() {
    return verdicts;
  }

  /** The explorer's read-only list and summary queries. */
  public ExplorerQueries explorer() {
    return explorer;
  }
}
