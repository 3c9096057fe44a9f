package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popw.coordinator.audit.EpochAudit;
import dev.popw.coordinator.rewards.EpochRewards;
import dev.popw.coordinator.rewards.RewardSettings;
import dev.popw.coordinator.rewards.Consent;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.MutableClock;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.web3j.crypto.Credentials;

/**
 * Rewards through a running coordinator on each database: owners consent through the API, two
 * epochs close, rewards and proofs are served; the epoch is exported and audited from its evidence
 * alone; a changed verdict input or a forged envelope makes the audit fail; and a second
 * coordinator that received the same envelopes in another interleaving computes the same rewards.
 */
class RewardsAuditTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Credentials A = Credentials.create("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  static final Credentials B = Credentials.create("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
  static final Credentials C = Credentials.create("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6");
  static final Instant T0 = Instant.parse("2026-11-24T12:00:00Z");
  static final String NET = "popw-test";
  @TempDir Path dir;
  final HttpClient http = HttpClient.newHttpClient();

  /** One signed reading to send: which device, when it arrives. */
  record Send(int device, byte[] envelope, Instant at) {}

  CoordinatorSettings settings(String db, Path data, String schema) {
    CoordinatorSettings s = CoordinatorSettings.defaults().withNetwork(NET).withDataDirectory(data)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(0).withBatch(1000, Duration.ofHours(1))
        .withEpochs(Duration.ofMinutes(10), Duration.ofSeconds(30));
    s = s.toBuilder().rewards(RewardSettings.defaults().withGenesis(Instant.parse("2026-11-24T00:00:00Z"))).build();
    if (db.equals("postgres")) {
      TestDatabases.postgres(schema).close();
      s = s.withPostgres(TestDatabases.postgresUrl(), TestDatabases.postgresUser(), "", schema);
    }
    return s;
  }

  /** Three sensor devices, owners A, B and C; readings every minute for two epochs (C's device reads a stuck value in the second). */
  static List<Send> traffic(List<SoftwareSigner> signers, MutableClock clock) {
    List<Send> out = new ArrayList<>();
    List<EnvelopeSealer> sealers = new ArrayList<>();
    for (SoftwareSigner s : signers) {
      sealers.add(EnvelopeSealer.builder().signer(s).sequence(new FixedSequence(1)).clock(clock).networkId(NET).build());
    }
    for (int minute = 0; minute < 20; minute++) {
      for (int d = 0; d < signers.size(); d++) {
        clock.set(T0.plusSeconds(minute * 60L + d * 7L + 5));
        double t = 20 + d + (minute % 5) * 0.1;
        SensorReading r = SensorReading.newBuilder()
            .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(d == 1 && minute == 3 ? 150 : t)
                .setUnit(Unit.CELSIUS)).build();
        out.add(new Send(d, sealers.get(d).seal(r).bytes(), clock.instant()));
      }
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void rewardsAreServedExportedAuditedAndTheSameInAnyIngestOrder(String db) throws Exception {
    String schema = TestDatabases.newSchema();
    String schema2 = TestDatabases.newSchema();
    MutableClock clock = new MutableClock(T0);
    List<SoftwareSigner> signers = List.of(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()),
        SoftwareSigner.generate(KeyType.ECDSA_P256, new SecureRandom()), SoftwareSigner.generate(KeyType.ECDSA_SECP256K1, new SecureRandom()));
    List<Credentials> owners = List.of(A, B, C);
    List<Send> sends = traffic(signers, clock);
    long epoch1 = T0.toEpochMilli() / 600_000;
    byte[] rewardsHash;
    byte[] root;
    Path export = dir.resolve("export");
    try (Coordinator c = Coordinator.builder(settings(db, dir.resolve("a"), schema)).clock(clock).closeEpochsAutomatically(false).start()) {
      String base = "http://127.0.0.1:" + c.apiPort();
      clock.set(T0.minusSeconds(60));
      for (int d = 0; d < 3; d++) {
        c.registry().register(Registrations.sign(signers.get(d), EvmAddress.parse(owners.get(d).getAddress()), DeviceKind.SENSOR, null,
            NET, clock));
      }
      // A and B consent; C does not. A wrong signature is refused with a reason.
      assertEquals(400, post(base + "/v1/devices/" + enc(signers.get(0)) + "/consent", consentBody(A, Consent.sign(B, NET,
          signers.get(0).deviceId().toString()))).statusCode());
      for (int d = 0; d < 2; d++) {
        HttpResponse<String> r = post(base + "/v1/devices/" + enc(signers.get(d)) + "/consent",
            consentBody(owners.get(d), Consent.sign(owners.get(d), NET, signers.get(d).deviceId().toString())));
        assertEquals(201, r.statusCode(), r.body());
      }
      assertEquals(404, get(base + "/v1/owners/" + A.getAddress() + "/rewards").statusCode(), "no rewards before an epoch closes");
      for (Send s : sends) {
        clock.set(s.at());
        assertTrue(c.pipeline().submit(s.envelope(), null).join().accepted());
      }
      clock.set(T0.plus(Duration.ofMinutes(20)).plusSeconds(31));
      assertEquals(2, c.epochs().tick().size());
      List<EpochRewards> computed = c.rewards().orElseThrow().tick();
      assertEquals(2, computed.size());
      EpochRewards second = computed.get(1);
      assertEquals(epoch1 + 1, second.epoch());
      // C never consented: its device's work earns nothing, with the reason
      JsonNode dev3 = json(get(base + "/v1/devices/" + enc(signers.get(2)) + "/rewards"), 200);
      assertEquals("NO_OWNER_CONSENT", dev3.get("epochs").get(0).get("zero_reason").asText());
      assertFalse(dev3.get("consented").asBoolean());
      // A: a cumulative total over both epochs, a proof of it against the root
      JsonNode a = json(get(base + "/v1/owners/" + A.getAddress() + "/rewards"), 200);
      BigInteger aTotal = BigInteger.ZERO;
      for (EpochRewards r : computed) {
        aTotal = aTotal.add(r.paid().stream().filter(o -> o.owner().equalsIgnoreCase(A.getAddress())).findFirst().orElseThrow().amount());
      }
      assertEquals(aTotal.toString(), a.get("cumulative").asText());
      assertEquals(aTotal.toString(), a.get("proof_cumulative").asText());
      assertEquals(2, a.get("epochs").size());
      assertEquals("0x" + HexFormat.of().formatHex(second.root()), a.get("root").asText());
      assertTrue(a.get("claim").isNull(), "no chain: nothing to claim on");
      List<byte[]> proof = new ArrayList<>();
      a.get("proof").forEach(p -> proof.add(HexFormat.of().parseHex(p.asText().substring(2))));
      assertTrue(dev.popw.coordinator.batch.MerkleTree.verifyLeaf(proof, second.root(),
          dev.popw.coordinator.batch.MerkleTree.leaf(EvmAddress.parse(A.getAddress()), aTotal)));
      // B's device sent one impossible reading: fewer units than A's, so less reward, and the row says why
      BigInteger bTotal = second.paid().stream().filter(o -> o.owner().equalsIgnoreCase(B.getAddress())).findFirst().orElseThrow().amount();
      BigInteger aSecond = second.paid().stream().filter(o -> o.owner().equalsIgnoreCase(A.getAddress())).findFirst().orElseThrow().amount();
      assertEquals(aSecond, bTotal, "the second epoch: both devices fully valid, same units");
      JsonNode ep = json(get(base + "/v1/epochs/" + (epoch1 + 1) + "/rewards"), 200);
      assertEquals("NONE", ep.get("chain_status").asText());
      assertEquals(second.unallocated().toString(), ep.get("unallocated").asText());
      rewardsHash = second.hash();
      root = second.root();

      dev.popw.coordinator.audit.EpochExport.export(c, epoch1 + 1, export, s -> {});
      // the consent command: a key that is not the device's owner is refused with the reason
      Path cKey = dev.popw.coordinator.testing.Anvil.keyFile(dir, "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6");
      assertEquals(1, dev.popw.coordinator.cli.CoordinatorCli.execute("consent", "--owner-key", cKey.toString(), "--device",
          signers.get(0).deviceId().toString(), "--network", NET, "--api", base));
      assertEquals(0, dev.popw.coordinator.cli.CoordinatorCli.execute("consent", "--owner-key", cKey.toString(), "--device",
          signers.get(2).deviceId().toString(), "--network", NET, "--api", base));
      assertTrue(json(get(base + "/v1/devices/" + enc(signers.get(2)) + "/rewards"), 200).get("consented").asBoolean(),
          "C's consent counts from now on (epochs already computed keep their standings)");
    }
    if (db.equals("h2")) {
      // the export command reads the database of a settings file (the coordinator stopped), and the audit command checks it
      Path cfg = dir.resolve("coordinator.toml");
      Files.writeString(cfg, "network_id = \"" + NET + "\"\ndata_dir = \"" + dir.resolve("a").toString().replace("\\", "/") + "\"\n"
          + "[epoch]\nlength_seconds = 600\nclose_delay_seconds = 30\n[rewards]\ngenesis = \"2026-11-24T00:00:00Z\"\n");
      Path viaCli = dir.resolve("export-cli");
      assertEquals(0, dev.popw.coordinator.cli.CoordinatorCli.execute("epoch", "export", Long.toString(epoch1 + 1), "--out",
          viaCli.toString(), "-c", cfg.toString()));
      assertEquals(0, dev.popw.coordinator.cli.CoordinatorCli.execute("audit", viaCli.toString()));
      assertEquals(1, dev.popw.coordinator.cli.CoordinatorCli.execute("epoch", "export", Long.toString(epoch1 + 1), "--out",
          viaCli.toString(), "-c", cfg.toString()), "a non-empty folder is refused");
      assertEquals(1, dev.popw.coordinator.cli.CoordinatorCli.execute("epoch", "export", "12", "--out",
          dir.resolve("nothing").toString(), "-c", cfg.toString()), "an epoch that is not closed is refused");
      assertEquals(1, dev.popw.coordinator.cli.CoordinatorCli.execute("audit", dir.toString()), "not an export");
    }
    EpochAudit.Report report = EpochAudit.audit(export, null, s -> {});
    assertTrue(report.passed(), report.failures().toString());
    assertTrue(report.checks().stream().anyMatch(s -> s.startsWith("rewards root")), report.checks().toString());
    assertTrue(report.checks().stream().anyMatch(s -> s.contains("60 envelopes, each signed by its device")), report.checks().toString());

    // a verdict input changed (one envelope's receipt time moved out of the epoch), by someone who also fixed the manifest
    Path moved = copy(export, dir.resolve("moved"));
    editEnvelope(moved, 12, row -> row.put("received_at", row.get("received_at").asLong() + 3_600_000));
    EpochAudit.Report bad = EpochAudit.audit(moved, null, s -> {});
    assertFalse(bad.passed());
    assertTrue(bad.failures().stream().anyMatch(s -> s.startsWith("verdict-set hash")), bad.failures().toString());
    assertTrue(bad.failures().stream().anyMatch(s -> s.startsWith("rewards hash")), bad.failures().toString());
    // an envelope's signed bytes changed
    Path forged = copy(export, dir.resolve("forged"));
    editEnvelope(forged, 1, row -> {
      byte[] b = java.util.Base64.getDecoder().decode(row.get("envelope").get("b64").asText());
      b[b.length - 1] ^= 1;
      ((ObjectNode) row.get("envelope")).put("b64", java.util.Base64.getEncoder().encodeToString(b));
    });
    EpochAudit.Report forgedReport = EpochAudit.audit(forged, null, s -> {});
    assertFalse(forgedReport.passed());
    assertTrue(forgedReport.failures().stream().anyMatch(s -> s.contains("not what their devices signed")), forgedReport.failures().toString());

    // the same envelopes, devices interleaved the other way round (each device's own order kept), same receipt times
    List<Send> reordered = new ArrayList<>();
    for (int d = 2; d >= 0; d--) {
      for (Send s : sends) {
        if (s.device() == d) {
          reordered.add(s);
        }
      }
    }
    MutableClock clock2 = new MutableClock(T0.minusSeconds(60));
    try (Coordinator c2 = Coordinator.builder(settings(db, dir.resolve("b"), schema2)).clock(clock2).closeEpochsAutomatically(false).start()) {
      for (int d = 0; d < 3; d++) {
        c2.registry().register(Registrations.sign(signers.get(d), EvmAddress.parse(owners.get(d).getAddress()), DeviceKind.SENSOR, null,
            NET, clock2));
      }
      for (int d = 0; d < 2; d++) {
        c2.rewards().orElseThrow().consent(signers.get(d).deviceId().toString(), owners.get(d).getAddress(),
            Consent.sign(owners.get(d), NET, signers.get(d).deviceId().toString()));
      }
      for (Send s : reordered) {
        clock2.set(s.at());
        assertTrue(c2.pipeline().submit(s.envelope(), null).join().accepted());
      }
      clock2.set(T0.plus(Duration.ofMinutes(20)).plusSeconds(31));
      c2.epochs().tick();
      List<EpochRewards> again = c2.rewards().orElseThrow().tick();
      assertArrayEquals(rewardsHash, again.get(1).hash());
      assertArrayEquals(root, again.get(1).root());
      assertNull(again.get(1).devices().stream().filter(r -> r.deviceId().equals(signers.get(0).deviceId().toString())).findFirst()
          .orElseThrow().zeroReason());
    } finally {
      if (db.equals("postgres")) {
        TestDatabases.dropSchema(schema);
        TestDatabases.dropSchema(schema2);
      }
    }
  }

  static Path copy(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (var s = Files.list(from)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(p.getFileName()));
      }
    }
    return to;
  }

  /** Edits one row of envelopes.jsonl and puts the file's new hash in the manifest, as a dishonest exporter would. */
  static void editEnvelope(Path export, int nth, java.util.function.Consumer<ObjectNode> edit) throws Exception {
    Path f = export.resolve("envelopes.jsonl");
    List<String> lines = new ArrayList<>(Files.readAllLines(f));
    long start = JSON.readTree(export.resolve("manifest.json").toFile()).get("start_ms").asLong();
    int index = -1;
    for (int i = 0, seen = 0; i < lines.size() && index < 0; i++) {
      if (JSON.readTree(lines.get(i)).get("received_at").asLong() >= start && seen++ == nth) {
        index = i; // the nth envelope of the audited epoch itself, not of its look-back
      }
    }
    ObjectNode row = (ObjectNode) JSON.readTree(lines.get(index));
    edit.accept(row);
    lines.set(index, JSON.writeValueAsString(row));
    Files.write(f, lines);
    ObjectNode m = (ObjectNode) JSON.readTree(export.resolve("manifest.json").toFile());
    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
    ((ObjectNode) m.get("files")).put("envelopes.jsonl", HexFormat.of().formatHex(md.digest(Files.readAllBytes(f))));
    Files.writeString(export.resolve("manifest.json"), JSON.writeValueAsString(m));
  }

  static String consentBody(Credentials owner, byte[] sig) {
    return "{\"owner\":\"" + owner.getAddress() + "\",\"signature\":\"" + Consent.hex(sig) + "\"}";
  }

  static String enc(SoftwareSigner s) {
    return URLEncoder.encode(s.deviceId().toString(), StandardCharsets.UTF_8);
  }

  HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String url, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r, int status) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }
}
