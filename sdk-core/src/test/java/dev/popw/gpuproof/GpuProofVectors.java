package dev.popw.gpuproof;

import com.google.protobuf.ByteString;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.internal.crypto.Sha256;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.Challenge;
import dev.popw.proto.v1.GpuCommitment;
import dev.popw.proto.v1.GpuProof;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.MatmulChallenge;
import dev.popw.proto.v1.OpenRequest;
import dev.popw.testing.TestKeys;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The GPU proof vectors of docs/wire-format.md ("GPU challenge vectors"): a signed challenge from
 * the RFC 8032 TEST 2 coordinator key to the TEST 1 device, its matrices, product tiles and
 * commitment, the tiles and blocks an open seed names, one opening, and the commitment envelope.
 * {@code main} prints them; {@code GpuProofVectorsTest} and docs/check-vectors.py check them.
 */
public final class GpuProofVectors {
  static final byte[] SEED = Sha256.hash("popw test vector gpu seed".getBytes(StandardCharsets.US_ASCII));
  static final byte[] OPEN_SEED = Sha256.hash("popw test vector gpu open seed".getBytes(StandardCharsets.US_ASCII));
  static final long ISSUED_AT = 1795521600000L;
  static final ProofParameters PARAMS = new ProofParameters(SEED, 16, 8, 2, 1024);

  private GpuProofVectors() {}

  static SoftwareSigner device() {
    return TestKeys.signer(KeyType.ED25519);
  }

  static Challenge challenge() {
    return Challenge.newBuilder().setChallengeId(7).setDeviceId(ByteString.copyFrom(device().deviceId().toBytes()))
        .setIssuedAtMs(ISSUED_AT).setWork(MatmulChallenge.newBuilder().setSeed(ByteString.copyFrom(SEED)).setN(16).setTile(8)
            .setMatrices(2).setGpuUuid("GPU-00000000-0000-0000-0000-000000000001").setCommitDeadlineMs(30_000)
            .setOpenDeadlineMs(30_000).setProbeBytes(1024).setGpuClass("reference"))
        .build();
  }

  static Map<String, String> challengeVector() {
    SoftwareSigner key = TestKeys.coordinator();
    byte[] c = challenge().toByteArray();
    Map<String, String> v = new LinkedHashMap<>();
    v.put("coordinator_private_key", TestKeys.COORDINATOR_SEED);
    v.put("coordinator_public_key", Hex.encode(key.publicKey()));
    v.put("device_id", device().deviceId().toString());
    v.put("challenge", Hex.encode(c));
    v.put("signed_message", Hex.encode(Challenges.signedMessage(c)));
    v.put("signature", Hex.encode(key.sign(Challenges.signedMessage(c))));
    v.put("signed_challenge", Hex.encode(Challenges.sign(challenge(), key)));
    return v;
  }

  static Map<String, String> workVector() throws InterruptedException {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("seed", Hex.encode(SEED));
    v.put("n", "16");
    v.put("tile", "8");
    v.put("matrices", "2");
    v.put("key_a_1", Long.toUnsignedString(ChallengeMatrices.keyA(SEED, 1), 16));
    v.put("key_b_1", Long.toUnsignedString(ChallengeMatrices.keyB(SEED, 1), 16));
    int[] row = new int[16];
    ChallengeMatrices.rowOfA(ChallengeMatrices.keyA(SEED, 1), 16, 3, row, 0);
    v.put("a_1_row_3", ints(row));
    ChallengeMatrices.columnOfB(ChallengeMatrices.keyB(SEED, 1), 16, 5, row, 0);
    v.put("b_1_column_5", ints(row));
    try (CpuProver prover = new CpuProver(1)) {
      CpuProver.Commitment c = prover.prove(PARAMS);
      long leaf = PARAMS.leaf(1, 1, 0); // product 1, tile row 1, tile column 0
      v.put("leaf_of_product_1_tile_row_1_column_0", Long.toString(leaf));
      v.put("tile_" + leaf, Hex.encode(c.open(leaf).getData().toByteArray()));
      v.put("leaf_hash_" + leaf, Hex.encode(c.leaf(leaf)));
      v.put("root", Hex.encode(c.root()));
    }
    return v;
  }

  static Map<String, String> openingVector() throws InterruptedException {
    Map<String, String> v = new LinkedHashMap<>();
    try (CpuProver prover = new CpuProver(1)) {
      CpuProver.Commitment c = prover.prove(PARAMS);
      v.put("open_seed", Hex.encode(OPEN_SEED));
      v.put("root", Hex.encode(c.root()));
      List<Long> tiles = OpenSelection.tiles(OPEN_SEED, c.root(), 3, PARAMS.leaves());
      List<Long> blocks = OpenSelection.probeBlocks(OPEN_SEED, c.root(), 2, PARAMS.probeBlocks());
      v.put("tiles_k3", tiles.stream().map(String::valueOf).collect(Collectors.joining(",")));
      v.put("probe_blocks_q2", blocks.stream().map(String::valueOf).collect(Collectors.joining(",")));
      long leaf = tiles.get(0);
      var o = c.open(leaf);
      v.put("tile_" + leaf, Hex.encode(o.getData().toByteArray()));
      v.put("proof_" + leaf, o.getProofList().stream().map(b -> Hex.encode(b.toByteArray())).collect(Collectors.joining(",")));
      long block = blocks.get(0);
      v.put("probe_block_" + block, Hex.encode(c.read(block).getData().toByteArray()));
      long[] r = OpenSelection.freivalds(OPEN_SEED, leaf, 0, 8);
      v.put("freivalds_" + leaf + "_round_0", java.util.Arrays.stream(r).mapToObj(x -> Long.toUnsignedString(x, 16)).collect(Collectors.joining(",")));
      Challenge open = Challenge.newBuilder().setChallengeId(7).setDeviceId(ByteString.copyFrom(device().deviceId().toBytes()))
          .setIssuedAtMs(ISSUED_AT + 4_000).setOpen(OpenRequest.newBuilder().setRoot(ByteString.copyFrom(c.root()))
              .addAllTiles(tiles).addAllProbeBlocks(blocks)).build();
      v.put("open_request_challenge", Hex.encode(open.toByteArray()));
      v.put("signed_open_request", Hex.encode(Challenges.sign(open, TestKeys.coordinator())));
    }
    return v;
  }

  static Map<String, String> commitmentVector() throws InterruptedException {
    byte[] root;
    try (CpuProver prover = new CpuProver(1)) {
      root = prover.prove(PARAMS).root();
    }
    GpuReport report = GpuReport.newBuilder().setProof(GpuProof.newBuilder().setChallengeId(7)
        .setCommitment(GpuCommitment.newBuilder().setRoot(ByteString.copyFrom(root)).setComputeMs(3).setProver("cpu-java 1 thread")))
        .build();
    EnvelopeSealer sealer = EnvelopeSealer.builder().signer(device()).sequence(() -> 43)
        .clock(Clock.fixed(Instant.ofEpochMilli(ISSUED_AT + 3_500), ZoneOffset.UTC)).networkId("popw-devnet").build();
    SealedEnvelope e = sealer.seal(report);
    Map<String, String> v = new LinkedHashMap<>();
    v.put("device_id", device().deviceId().toString());
    v.put("gpu_report", Hex.encode(report.toByteArray()));
    v.put("telemetry", Hex.encode(e.telemetry().toByteArray()));
    v.put("envelope", Hex.encode(e.bytes()));
    v.put("envelope_hash", Hex.encode(e.hash()));
    return v;
  }

  private static String ints(int[] v) {
    return java.util.Arrays.stream(v).mapToObj(String::valueOf).collect(Collectors.joining(","));
  }

  static Map<String, Map<String, String>> all() throws InterruptedException {
    Map<String, Map<String, String>> m = new LinkedHashMap<>();
    m.put("gpu challenge", challengeVector());
    m.put("gpu work", workVector());
    m.put("gpu opening", openingVector());
    m.put("gpu commitment envelope", commitmentVector());
    return m;
  }

  public static void main(String[] args) throws Exception {
    for (Map.Entry<String, Map<String, String>> e : all().entrySet()) {
      System.out.println("### " + e.getKey() + "\n```");
      e.getValue().forEach((k, val) -> System.out.println(k + ": " + val));
      System.out.println("```");
    }
  }
}
