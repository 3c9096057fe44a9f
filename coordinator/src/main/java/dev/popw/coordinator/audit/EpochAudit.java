package dev.popw.coordinator.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.SettingsException;
import dev.popw.coordinator.SettingsLoader;
import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.coordinator.chain.ChainException;
import dev.popw.coordinator.chain.EvmClient;
import dev.popw.coordinator.epoch.DefaultValidators;
import dev.popw.coordinator.rewards.EpochRewards;
import dev.popw.coordinator.rewards.RewardInputs;
import dev.popw.coordinator.rewards.RewardSettings;
import dev.popw.coordinator.rewards.RewardsEngine;
import dev.popw.coordinator.rewards.Standing;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.validation.EpochResult;
import dev.popw.coordinator.validation.Validators;
import dev.popw.coordinator.validation.coverage.Denylist;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.VerificationResult;
import dev.popw.entropy.EntropyTrust;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.Log;

/**
 * {@code popw-coordinator audit DIR [--rpc URL]}: re-runs an exported epoch's validation and
 * rewards from its evidence alone and compares them with what the coordinator claimed, and with
 * the root on the chain (docs/rewards.md, "Audit"). Trusts nothing of the export but the devices'
 * signatures, the coordinator's entropy signatures and the settings: every envelope's signature is
 * checked, the evidence is loaded into a fresh embedded database and judged by this build's
 * validators, and the rewards are recomputed from the recomputed work.
 */
public final class EpochAudit {
  private static final HexFormat HEX = HexFormat.of();
  private static final String ROOT_COMMITTED = Hash.sha3String("RootCommitted(uint64,bytes32,uint256,address)");
  private static final List<String> EVIDENCE = List.of("devices", "envelopes", "epoch_registry", "entropy", "gpu_challenges",
      "gpu_fingerprints");

  private EpochAudit() {}

  /** The outcome: every check with its numbers; passed when none failed. */
  public record Report(boolean passed, List<String> checks, List<String> failures) {}

  public static Report audit(Path dir, String rpcUrl, Consumer<String> progress) {
    List<String> checks = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    Consumer<String> ok = s -> {
      checks.add(s);
      progress.accept("ok    " + s);
    };
    Consumer<String> fail = s -> {
      failures.add(s);
      progress.accept("FAIL  " + s);
    };
    JsonNode m = manifest(dir);
    long epoch = m.get("epoch").asLong();
    long start = m.get("start_ms").asLong();
    long end = m.get("end_ms").asLong();
    String network = m.get("network_id").asText();
    progress.accept("auditing epoch " + epoch + " of network '" + network + "' from " + dir);

    // 0. the files are the ones the manifest names (a hint only: whoever wrote the export could rewrite both)
    List<String> changed = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = m.get("files").fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> f = it.next();
      Path p = dir.resolve(f.getKey()).normalize();
      if (!p.startsWith(dir.normalize()) || !Files.exists(p)) {
        throw new AuditException("the export lacks " + f.getKey());
      }
      try {
        if (!EpochExport.sha256(p).equals(f.getValue().asText())) {
          changed.add(f.getKey());
        }
      } catch (IOException e) {
        throw new AuditException("cannot read " + p + ": " + e.getMessage(), e);
      }
    }
    if (changed.isEmpty()) {
      ok.accept("every file matches the SHA-256 in manifest.json");
    } else {
      fail.accept("files changed since the export: " + changed);
    }

    // 1. settings -> validators and rewards engine
    CoordinatorSettings s;
    try {
      s = SettingsLoader.load(dir.resolve("settings.toml"), Map.of());
    } catch (SettingsException e) {
      throw new AuditException("settings.toml: " + e.getMessage(), e);
    }
    Denylist deny;
    try {
      deny = Denylist.of(Denylist.parse(Files.readAllLines(dir.resolve("denylist.txt"), StandardCharsets.UTF_8)));
    } catch (IOException | IllegalArgumentException e) {
      throw new AuditException("denylist.txt: " + e.getMessage(), e);
    }
    Validators validators = DefaultValidators.of(s.sensorRules(), s.coverage().rules(), deny, s.gpuProofs());

    Path tmp;
    try {
      tmp = Files.createTempDirectory("popw-audit");
    } catch (IOException e) {
      throw new AuditException("cannot create a temporary database: " + e.getMessage(), e);
    }
    try (Database db = Database.embedded(tmp.resolve("audit"))) {
      // 2. the evidence into a fresh database of this build's schema
      try (Connection c = db.dataSource().getConnection()) {
        c.setAutoCommit(false);
        for (String t : EVIDENCE) {
          Rows.load(c, t, Rows.read(dir.resolve(t + ".jsonl")));
        }
        c.commit();
      } catch (SQLException | IOException e) {
        throw new AuditException("cannot load the evidence: " + e.getMessage(), e);
      }
      Store store = new Store(db);

      // 3. every envelope signed by its device, every entropy by the coordinator
      checkSignatures(dir, network, HEX.parseHex(m.get("coordinator_key").asText()), ok, fail);

      // 4. validation again, from the evidence alone
      JsonNode claimed = single(dir, "epochs");
      String params = claimed.get("parameters").asText();
      if (params.equals(validators.parameters())) {
        ok.accept("the validators' parameters from settings.toml are the ones the epoch was judged with");
      } else {
        fail.accept("settings.toml gives other validator parameters than the epoch's:\n  epoch:    " + params + "\n  settings: "
            + validators.parameters());
      }
      EpochResult again = EpochResult.compute(store.verdicts().evidence(epoch, start, end), validators);
      compare("verdict-set hash (" + again.verdicts().size() + " verdicts, " + again.validCount() + " valid)", bytes(claimed.get("verdict_set_hash")),
          again.verdictSetHash(), m.get("verdict_set_hash").asText(), ok, fail);
      compare("device-summary hash (" + again.summaries().size() + " device summaries)", bytes(claimed.get("summary_hash")),
          again.summaryHash(), m.get("summary_hash").asText(), ok, fail);

      // 5. rewards again, from the recomputed work and the recorded standings
      if (m.get("rewards").isNull()) {
        progress.accept("      the epoch has no rewards (rewards were off when it closed)");
      } else {
        auditRewards(dir, m, s, again, epoch, start, ok, fail, rpcUrl, progress);
      }
    } finally {
      deleteTree(tmp);
    }
    progress.accept(failures.isEmpty() ? "AUDIT PASSED: " + checks.size() + " checks" : "AUDIT FAILED: " + failures.size() + " of "
        + (checks.size() + failures.size()) + " checks failed");
    return new Report(failures.isEmpty(), List.copyOf(checks), List.copyOf(failures));
  }

  private static void auditRewards(Path dir, JsonNode m, CoordinatorSettings s, EpochResult again, long epoch, long start,
      Consumer<String> ok, Consumer<String> fail, String rpcUrl, Consumer<String> progress) {
    JsonNode row = single(dir, "reward_epochs");
    RewardSettings rs = s.rewards();
    RewardsEngine engine = new RewardsEngine(rs);
    if (rs.canonical().equals(row.get("parameters").asText())) {
      ok.accept("the rewards parameters from settings.toml are the epoch's");
    } else {
      fail.accept("settings.toml gives other rewards parameters than the epoch's:\n  epoch:    " + row.get("parameters").asText()
          + "\n  settings: " + rs.canonical());
    }
    Map<String, Standing> standings = new TreeMap<>();
    for (ObjectNode r : rows(dir, "reward_standings")) {
      String id = r.get("device_id").asText();
      standings.put(id, new Standing(id, text(r, "owner_address"), r.get("active").asBoolean(), r.get("consented").asBoolean(),
          text(r, "stake_owner"), EpochExport.big(Rows.value(r.get("stake")))));
    }
    Map<String, BigInteger> previous = new HashMap<>();
    for (ObjectNode r : rows(dir, "reward_previous")) {
      previous.put(r.get("owner_address").asText(), EpochExport.big(Rows.value(r.get("cumulative"))));
    }
    long tokenEpoch = rs.tokenEpoch(start, s.epochs().length().toMillis());
    BigInteger burned = EpochExport.big(Rows.value(row.get("burned_previous")));
    EpochRewards r = engine.compute(new RewardInputs(epoch, tokenEpoch, rs.emission(tokenEpoch), burned,
        RewardsEngine.workOf(again.summaries(), again.coverage()), standings, previous));
    compare("rewards hash (" + RewardSettings.weiToTokens(r.allocated()) + " POPW to " + r.paid().size() + " owners, "
        + RewardSettings.weiToTokens(r.unallocated()) + " unallocated)", bytes(row.get("rewards_hash")), r.hash(),
        m.get("rewards").get("rewards_hash").asText(), ok, fail);
    byte[] claimedRoot = bytes(row.get("root"));
    compare("rewards root 0x" + HEX.formatHex(r.root()) + " over " + r.owners().size() + " owners", claimedRoot, r.root(),
        m.get("rewards").get("root").asText().substring(2), ok, fail);
    if (rpcUrl == null) {
      return;
    }
    JsonNode chain = m.get("chain");
    if (chain == null || chain.isNull()) {
      fail.accept("--rpc given, but the export names no chain (the coordinator settled on none)");
      return;
    }
    String status = row.get("chain_status").asText();
    try (EvmClient client = EvmClient.connect(rpcUrl, Credentials.create("0x0000000000000000000000000000000000000000000000000000000000000001"), 0)) {
      if (client.chainId() != chain.get("chain_id").asLong()) {
        fail.accept("the RPC serves chain " + client.chainId() + ", the export's chain is " + chain.get("chain_id").asLong());
        return;
      }
      String topic = String.format("0x%064x", tokenEpoch);
      List<Log> logs = client.logs(chain.get("distributor").asText(), BigInteger.ZERO, ROOT_COMMITTED, topic);
      if (logs.isEmpty()) {
        if (status.equals("COMMITTED")) {
          fail.accept("the export says the root was committed as token epoch " + tokenEpoch + ", but the distributor has no such root");
        } else {
          progress.accept("      no root on-chain for token epoch " + tokenEpoch + " (status " + status
              + (status.equals("SUPERSEDED") ? ": a later epoch's root, which includes these totals, was committed instead" : "") + ")");
        }
        return;
      }
      String data = logs.get(logs.size() - 1).getData().substring(2);
      byte[] onChain = HEX.parseHex(data.substring(0, 64));
      BigInteger owed = new BigInteger(data.substring(64, 128), 16);
      if (Arrays.equals(onChain, r.root()) && owed.equals(r.totalOwed())) {
        ok.accept("the distributor's root for token epoch " + tokenEpoch + " is the recomputed one (total owed "
            + RewardSettings.weiToTokens(owed) + " POPW)");
      } else {
        fail.accept("the distributor's root for token epoch " + tokenEpoch + " is 0x" + HEX.formatHex(onChain) + " (total owed " + owed
            + "), the recomputation gives 0x" + HEX.formatHex(r.root()) + " (" + r.totalOwed() + ")");
      }
      if (!previous.isEmpty()) {
        MerkleTree prev = EpochRewards.treeOf(previous.entrySet().stream().sorted(Map.Entry.comparingByKey())
            .map(e -> new dev.popw.coordinator.rewards.OwnerReward(e.getKey(), BigInteger.ZERO, e.getValue())).toList());
        progress.accept("      previous totals' root 0x" + HEX.formatHex(prev.root()) + " (audit the previous epoch's export to check it)");
      }
    } catch (ChainException e) {
      fail.accept("cannot read the chain at " + rpcUrl + ": " + e.getMessage());
    }
  }

  private static void checkSignatures(Path dir, String network, byte[] coordinatorKey, Consumer<String> ok, Consumer<String> fail) {
    EnvelopeVerifier verifier = EnvelopeVerifier.create();
    Map<Long, String> deviceOf = new HashMap<>();
    for (ObjectNode d : rows(dir, "devices")) {
      deviceOf.put(d.get("device_no").asLong(), d.get("device_id").asText());
    }
    long n = 0;
    List<String> bad = new ArrayList<>();
    for (ObjectNode e : rows(dir, "envelopes")) {
      n++;
      byte[] env = (byte[]) Rows.value(e.get("envelope"));
      VerificationResult v = verifier.verify(env);
      String who = deviceOf.get(e.get("device_no").asLong());
      byte[] hash = (byte[]) Rows.value(e.get("envelope_hash"));
      if (!v.isOk()) {
        bad.add("envelope " + HEX.formatHex(hash) + ": " + v.reason() + " (" + v.detail() + ")");
      } else if (!v.deviceId().map(Object::toString).orElse("").equals(who)) {
        bad.add("envelope " + HEX.formatHex(hash) + " is signed by " + v.deviceId().orElseThrow() + ", stored under " + who);
      } else if (!Arrays.equals(v.envelopeHash().orElseThrow(), hash)) {
        bad.add("envelope " + HEX.formatHex(hash) + "'s hash is really " + HEX.formatHex(v.envelopeHash().orElseThrow()));
      } else if (v.telemetry().orElseThrow().getSequence() != e.get("sequence").asLong()) {
        bad.add("envelope " + HEX.formatHex(hash) + " is stored with sequence " + e.get("sequence").asLong() + ", signed with "
            + v.telemetry().orElseThrow().getSequence());
      }
      if (bad.size() > 20) {
        break;
      }
    }
    if (bad.isEmpty()) {
      ok.accept(n + " envelopes, each signed by its device (hash and sequence as stored)");
    } else {
      fail.accept(bad.size() + " envelopes are not what their devices signed:\n  " + String.join("\n  ", bad));
    }
    EntropyTrust trust = EntropyTrust.pinned(coordinatorKey, network, 0);
    long k = 0;
    List<String> badEntropy = new ArrayList<>();
    for (ObjectNode e : rows(dir, "entropy")) {
      k++;
      var check = trust.check((byte[]) Rows.value(e.get("signed")), e.get("issued_at").asLong());
      if (!check.isValid() || !Arrays.equals(check.entropy().getValue().toByteArray(), (byte[]) Rows.value(e.get("entropy_value")))) {
        badEntropy.add("#" + e.get("sequence").asLong() + (check.isValid() ? ": value differs from the signed one" : ": " + check.detail()));
      }
    }
    if (badEntropy.isEmpty()) {
      ok.accept(k + " entropy values, each signed by the coordinator key " + HEX.formatHex(coordinatorKey).substring(0, 16) + "…");
    } else {
      fail.accept("entropy not signed by the coordinator: " + badEntropy);
    }
  }

  private static void compare(String what, byte[] claimedRow, byte[] recomputed, String manifestHex, Consumer<String> ok,
      Consumer<String> fail) {
    boolean row = Arrays.equals(claimedRow, recomputed);
    boolean man = manifestHex.equalsIgnoreCase(HEX.formatHex(recomputed));
    if (row && man) {
      ok.accept(what + " recomputed: 0x" + HEX.formatHex(recomputed));
    } else {
      fail.accept(what + ": the coordinator claimed 0x" + HEX.formatHex(claimedRow) + (man ? "" : " (manifest 0x" + manifestHex + ")")
          + ", the evidence gives 0x" + HEX.formatHex(recomputed));
    }
  }

  private static JsonNode manifest(Path dir) {
    Path f = dir.resolve("manifest.json");
    if (!Files.isRegularFile(f)) {
      throw new AuditException(dir + " is not an epoch export (no manifest.json; make one with popw-coordinator epoch export N)");
    }
    try {
      JsonNode m = Rows.JSON.readTree(f.toFile());
      if (!EpochExport.FORMAT.equals(m.path("format").asText())) {
        throw new AuditException("manifest.json is not a " + EpochExport.FORMAT + " manifest");
      }
      for (String k : List.of("epoch", "start_ms", "end_ms", "network_id", "coordinator_key", "verdict_set_hash", "summary_hash", "files")) {
        if (!m.has(k)) {
          throw new AuditException("manifest.json lacks " + k);
        }
      }
      return m;
    } catch (IOException e) {
      throw new AuditException("manifest.json is not JSON: " + e.getMessage(), e);
    }
  }

  private static List<ObjectNode> rows(Path dir, String table) {
    try {
      return Rows.read(dir.resolve(table + ".jsonl"));
    } catch (IOException e) {
      throw new AuditException("cannot read " + table + ".jsonl: " + e.getMessage(), e);
    }
  }

  private static JsonNode single(Path dir, String table) {
    List<ObjectNode> l = rows(dir, table);
    if (l.size() != 1) {
      throw new AuditException(table + ".jsonl holds " + l.size() + " rows, not 1");
    }
    return l.get(0);
  }

  private static byte[] bytes(JsonNode v) {
    Object o = Rows.value(v);
    if (!(o instanceof byte[] b)) {
      throw new AuditException("expected bytes, found " + v);
    }
    return b;
  }

  private static String text(JsonNode r, String k) {
    JsonNode v = r.get(k);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static void deleteTree(Path p) {
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
    } catch (IOException ignored) {
      // a temporary folder left behind is not worth failing the audit for
    }
  }
}
