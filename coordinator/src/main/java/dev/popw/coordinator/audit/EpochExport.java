package dev.popw.coordinator.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.SettingsLoader;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.EpochRecord;
import dev.popw.coordinator.store.Store;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code popw-coordinator epoch export N}: writes a closed epoch's evidence, the parameters and
 * registry state it was judged with, and its verdicts and rewards, to a folder that {@link
 * EpochAudit} checks without the coordinator (docs/rewards.md, "Audit").
 *
 * <pre>
 *   manifest.json            what the coordinator claims: epoch, times, hashes, root, SHA-256 of every file
 *   settings.toml            the validators', epochs' and rewards' settings (parameters)
 *   denylist.txt             the coverage denylist (entries keep their times, so it is replayable)
 *   devices.jsonl            the devices with evidence, with their signed registrations
 *   envelopes.jsonl          every accepted envelope the epoch's validation read (the epoch and its look-back), exact bytes
 *   epoch_registry.jsonl     the registry snapshot the epoch was validated with
 *   entropy.jsonl            the signed beacon entropy issued in the window
 *   gpu_challenges.jsonl     GPU challenges decided in the epoch; gpu_fingerprints.jsonl the pinned fingerprints
 *   epochs.jsonl, device_epochs.jsonl, gpu_challenge_verdicts.jsonl   the results: hashes, summaries, challenge verdicts
 *   reward_standings.jsonl   owner, activity, consent and stake of each rewarded device when the epoch closed
 *   reward_previous.jsonl    every owner's cumulative total before the epoch
 *   reward_epochs.jsonl, reward_devices.jsonl, reward_owners.jsonl     the rewards: split, owners paid, root
 * </pre>
 */
public final class EpochExport {
  public static final String FORMAT = "popw-epoch-export-v1";
  /** The settings an audit needs: everything validation, epochs and rewards depend on. */
  public static final List<String> SETTINGS = List.of("network_id", "epoch.", "validation.", "coverage.", "gpu_proofs.", "rewards.");

  private EpochExport() {}

  /** What was written. */
  public record Summary(Path dir, long epoch, long envelopes, long devices, long verdicts, boolean rewards) {}

  /**
   * Exports a closed epoch.
   *
   * @param lookback the validators' look-back (evidence before the epoch that its rules read)
   * @param chain chain id and distributor address, or null without a chain
   * @throws AuditException when the epoch is not closed or the folder is not empty
   */
  public static Summary export(Database db, Store store, CoordinatorSettings settings, Duration lookback, byte[] coordinatorKey,
      ChainRef chain, long epoch, Path dir, Consumer<String> progress) {
    EpochRecord rec = store.verdicts().epoch(epoch).orElseThrow(() -> new AuditException("epoch " + epoch
        + " is not closed (closed epochs: GET /v1/epochs)"));
    try {
      if (Files.exists(dir) && (!Files.isDirectory(dir) || Files.list(dir).findAny().isPresent())) {
        throw new AuditException(dir + " exists and is not an empty folder");
      }
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new AuditException("cannot create " + dir + ": " + e.getMessage(), e);
    }
    long start = rec.startMs();
    long end = rec.endMs();
    long from = start - lookback.toMillis();
    for (var c : store.gpuChallenges().decidedIn(start, end)) {
      from = Math.min(from, c.issuedAt());
    }
    long entropyFrom = from - Duration.ofDays(1).toMillis();
    ObjectNode files = Rows.JSON.createObjectNode();
    long envelopes;
    long devices;
    long verdicts;
    boolean rewards;
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false); // one snapshot for every file; PostgreSQL streams rows only inside a transaction
      String window = "received_at >= ? AND received_at < ?";
      List<Object> w = List.of(from, end);
      devices = table(c, dir, files, "devices", "SELECT * FROM devices WHERE device_no IN (SELECT DISTINCT device_no FROM envelopes WHERE "
          + window + ") OR device_id IN (SELECT device_id FROM epoch_registry WHERE epoch = ?) ORDER BY device_no",
          List.of(from, end, epoch), progress);
      envelopes = table(c, dir, files, "envelopes", "SELECT * FROM envelopes WHERE " + window + " ORDER BY device_no, sequence", w, progress);
      table(c, dir, files, "epoch_registry", "SELECT * FROM epoch_registry WHERE epoch = ? ORDER BY device_id", List.of(epoch), progress);
      table(c, dir, files, "entropy", "SELECT * FROM entropy WHERE issued_at >= ? AND issued_at < ? ORDER BY sequence",
          List.of(entropyFrom, end), progress);
      table(c, dir, files, "gpu_challenges", "SELECT * FROM gpu_challenges WHERE expires_at >= ? AND expires_at < ? ORDER BY challenge_id",
          List.of(start, end), progress);
      table(c, dir, files, "gpu_fingerprints", "SELECT * FROM gpu_fingerprints WHERE device_id IN (SELECT device_id FROM devices"
          + " WHERE device_no IN (SELECT DISTINCT device_no FROM envelopes WHERE " + window + ")) ORDER BY device_id, registration_time", w,
          progress);
      table(c, dir, files, "epochs", "SELECT * FROM epochs WHERE epoch = ?", List.of(epoch), progress);
      verdicts = rec.envelopes();
      table(c, dir, files, "device_epochs", "SELECT * FROM device_epochs WHERE epoch = ? ORDER BY kind, device_id", List.of(epoch), progress);
      table(c, dir, files, "gpu_challenge_verdicts", "SELECT * FROM gpu_challenge_verdicts WHERE epoch = ? ORDER BY challenge_id",
          List.of(epoch), progress);
      table(c, dir, files, "reward_standings", "SELECT * FROM reward_standings WHERE epoch = ? ORDER BY device_id", List.of(epoch), progress);
      table(c, dir, files, "reward_previous", "SELECT owner_address, MAX(cumulative) AS cumulative FROM reward_owners WHERE epoch < ?"
          + " GROUP BY owner_address ORDER BY owner_address", List.of(epoch), progress);
      rewards = table(c, dir, files, "reward_epochs", "SELECT * FROM reward_epochs WHERE epoch = ?", List.of(epoch), progress) > 0;
      table(c, dir, files, "reward_devices", "SELECT * FROM reward_devices WHERE epoch = ? ORDER BY device_id, pool", List.of(epoch), progress);
      table(c, dir, files, "reward_owners", "SELECT * FROM reward_owners WHERE epoch = ? ORDER BY owner_address", List.of(epoch), progress);
      c.rollback();
    } catch (SQLException | IOException e) {
      throw new AuditException("cannot export epoch " + epoch + ": " + e.getMessage(), e);
    }
    try {
      write(dir, files, "settings.toml", SettingsLoader.toToml(settings, SETTINGS));
      Path deny = settings.coverage().denylistFile(settings.dataDirectory());
      write(dir, files, "denylist.txt", deny != null && Files.exists(deny) ? Files.readString(deny, StandardCharsets.UTF_8) : "");
      HexFormat hex = HexFormat.of();
      ObjectNode m = Rows.JSON.createObjectNode();
      m.put("format", FORMAT);
      m.put("network_id", settings.networkId());
      m.put("epoch", epoch);
      m.put("start_ms", start);
      m.put("end_ms", end);
      m.put("evidence_from_ms", from);
      m.put("coordinator_key", hex.formatHex(coordinatorKey));
      m.put("envelopes", envelopes);
      m.put("verdict_set_hash", hex.formatHex(rec.verdictSetHash()));
      m.put("summary_hash", hex.formatHex(rec.summaryHash()));
      m.put("parameters_hash", hex.formatHex(rec.parametersHash()));
      var rr = new dev.popw.coordinator.rewards.RewardStore(db.dataSource()).row(epoch);
      if (rr.isPresent()) {
        ObjectNode r = m.putObject("rewards");
        r.put("token_epoch", rr.get().tokenEpoch());
        r.put("rewards_hash", hex.formatHex(rr.get().hash()));
        r.put("root", "0x" + hex.formatHex(rr.get().root()));
        r.put("total_owed", rr.get().totalOwed().toString());
        r.put("chain_status", rr.get().chainStatus());
        r.put("chain_tx", rr.get().chainTx());
      } else {
        m.putNull("rewards");
      }
      if (chain != null) {
        ObjectNode ch = m.putObject("chain");
        ch.put("chain_id", chain.chainId());
        ch.put("distributor", chain.distributor());
      } else {
        m.putNull("chain");
      }
      m.set("files", files);
      Files.writeString(dir.resolve("manifest.json"), Rows.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n");
    } catch (IOException e) {
      throw new AuditException("cannot write the export to " + dir + ": " + e.getMessage(), e);
    }
    progress.accept("epoch " + epoch + " exported to " + dir + ": " + envelopes + " envelopes of " + devices + " devices, "
        + verdicts + " verdicts" + (rewards ? ", rewards" : ", no rewards"));
    return new Summary(dir, epoch, envelopes, devices, verdicts, rewards);
  }

  /** The chain the rewards root goes to. */
  public record ChainRef(long chainId, String distributor) {}

  /** Exports a closed epoch of a running coordinator. */
  public static Summary export(dev.popw.coordinator.Coordinator c, long epoch, Path dir, Consumer<String> progress) {
    CoordinatorSettings s = c.settings();
    return export(c.database(), c.store(), s, c.epochs().validators().lookback(), c.receiptKey(),
        chainRef(s, c.chainInfo() == null ? 0 : c.chainInfo().chainId(), c.rewardsContracts().orElse(null)), epoch, dir, progress);
  }

  /**
   * Exports a closed epoch from the database of these settings, without starting a coordinator (the
   * embedded database must not be open in a running one).
   */
  public static Summary export(CoordinatorSettings s, long epoch, Path dir, Consumer<String> progress) {
    try (Database db = s.postgresUrl() != null
        ? Database.postgres(s.postgresUrl(), s.postgresUser(), s.postgresPassword(), s.postgresSchema())
        : Database.embedded(s.dataDirectory().resolve("coordinator"))) {
      byte[] key = dev.popw.coordinator.CoordinatorKey.loadOrCreate(s.receiptKeyFile()).publicKey();
      dev.popw.coordinator.chain.RewardsContracts rc = s.rewards().contracts();
      long chainId = s.chain().chainId();
      if (s.chain().mode().equals("dev")) {
        Path devchain = s.dataDirectory().resolve("devchain");
        rc = dev.popw.coordinator.rewards.RewardsDeployment.read(devchain.resolve("rewards-deployment.json")).orElse(null);
        chainId = dev.popw.coordinator.chain.Deployment.read(devchain.resolve("deployment.json"))
            .map(dev.popw.coordinator.chain.Deployment::chainId).orElse(0L);
      }
      return export(db, new Store(db), s, dev.popw.coordinator.Coordinator.defaultValidators(s).lookback(), key, chainRef(s, chainId, rc),
          epoch, dir, progress);
    }
  }

  private static ChainRef chainRef(CoordinatorSettings s, long chainId, dev.popw.coordinator.chain.RewardsContracts rc) {
    return !s.chain().enabled() || rc == null ? null : new ChainRef(chainId, rc.distributor());
  }

  private static long table(Connection c, Path dir, ObjectNode files, String name, String sql, List<Object> args,
      Consumer<String> progress) throws SQLException, IOException {
    Path f = dir.resolve(name + ".jsonl");
    long n = Rows.export(c, sql, args, f);
    files.put(f.getFileName().toString(), sha256(f));
    if (n > 10_000) {
      progress.accept("  " + name + ": " + n + " rows");
    }
    return n;
  }

  private static void write(Path dir, ObjectNode files, String name, String text) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, text, StandardCharsets.UTF_8);
    files.put(name, sha256(f));
  }

  static String sha256(Path f) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      try (var in = Files.newInputStream(f)) {
        byte[] buf = new byte[65536];
        int n;
        while ((n = in.read(buf)) > 0) {
          md.update(buf, 0, n);
        }
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static BigInteger big(Object o) {
    return o instanceof java.math.BigDecimal d ? d.toBigIntegerExact() : new BigInteger(o.toString());
  }
}
