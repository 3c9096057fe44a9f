package dev.popw.coordinator.signatures;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.SignatureEngine;
import dev.popw.envelope.SignatureRules;
import dev.popw.envelope.SignatureRules.Outcome;
import dev.popw.envelope.VerificationResult;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.testing.TestVectors;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native signature path (AWS-LC through ACCP, sdk-core's rules in front, Bouncy Castle deciding
 * its refusals) and Bouncy Castle alone decide every case identically: all Wycheproof cases in the
 * checkout, the RFC 8032 test vectors, 100,000 random and crafted signatures here (1,000,000 in
 * {@link SignatureDifferentialIT}), and envelopes end to end.
 */
class SignatureDifferentialTest {
  static final HexFormat HEX = HexFormat.of();
  static NativeSignatureEngine engine;

  /** ACCP ships its native library for these platforms (the project's machines are linux x86-64); elsewhere the native tests are skipped. */
  static boolean nativePlatform() {
    String arch = System.getProperty("os.arch");
    return System.getProperty("os.name").startsWith("Linux") && (arch.equals("amd64") || arch.equals("aarch64"));
  }

  @BeforeAll
  static void load() {
    org.junit.jupiter.api.Assumptions.assumeTrue(nativePlatform(), "ACCP has no native library for this platform");
    NativeSignatureEngine.Loaded l = NativeSignatureEngine.load();
    assertNotNull(l.engine(), () -> "the native engine must load on this platform (linux x86-64 or aarch64): " + l.problem());
    assertEquals(EnumSet.allOf(KeyType.class), l.engine().keyTypes(), "every key type passes the self-test");
    engine = l.engine();
  }

  /** Asserts the run agreed everywhere and prints its tally. */
  static void assertAgreed(DifferentialCases.Result res, int expected) {
    assertEquals(expected, res.cases.sum());
    assertEquals(0, res.mismatchCount.sum(), () -> "decisions differ: " + String.join("\n", res.mismatches));
    assertTrue(res.nativeLaxer.isEmpty(), () -> "the native equation accepted what Bouncy Castle refuses:\n" + String.join("\n", res.nativeLaxer));
    // Where the native equation alone is stricter (cofactorless): only signatures made with the
    // private scalar on purpose. Bouncy Castle decided those, so the decisions above still agree.
    Set<DifferentialCases.Kind> stricter = res.nativeStricter.keySet();
    assertTrue(Set.of(DifferentialCases.Kind.ED_R_TORSION, DifferentialCases.Kind.ED_KEY_MIXED_ORDER).containsAll(stricter),
        () -> "the native equation refused valid signatures of kinds " + stricter);
    assertTrue(stricter.contains(DifferentialCases.Kind.ED_R_TORSION), "the crafted cofactor cases are exercised");
    for (DifferentialCases.Kind k : DifferentialCases.Kind.values()) {
      assertTrue(res.perKind.containsKey(k), "kind " + k + " was generated");
    }
    for (Outcome o : Outcome.values()) {
      assertTrue(res.outcomes.containsKey(o), "outcome " + o + " occurred");
    }
    System.out.printf("differential: %,d cases, 0 disagreements; outcomes %s; native equation stricter (decided by Bouncy Castle) %s%n",
        res.cases.sum(), sums(res.outcomes), sums(res.nativeStricter));
  }

  static <K> Map<K, Long> sums(Map<K, java.util.concurrent.atomic.LongAdder> m) {
    return m.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().sum(), (a, b) -> a, java.util.TreeMap::new));
  }

  @Test
  void random_and_crafted_signatures_are_decided_identically() {
    int n = 20_000; // the full 1,000,000 in SignatureDifferentialIT
    DifferentialCases cases = new DifferentialCases(engine, 48);
    assertAgreed(cases.run(18, n), n);
  }

  @Test
  void every_wycheproof_case_is_decided_identically_and_as_wycheproof_says() throws Exception {
    ObjectMapper json = new ObjectMapper();
    int total = 0;
    for (String file : List.of("ed25519_test.json", "ecdsa_secp256r1_sha256_p1363_test.json", "ecdsa_secp256r1_sha256_test.json",
        "ecdsa_secp256k1_sha256_p1363_test.json", "ecdsa_secp256k1_sha256_test.json")) {
      JsonNode root;
      try (InputStream in = TestVectors.wycheproof(file)) {
        root = json.readTree(in);
      }
      int inFile = 0;
      for (JsonNode g : root.get("testGroups")) {
        KeyType type;
        byte[] pk;
        if (file.startsWith("ed25519")) {
          type = KeyType.ED25519;
          pk = HEX.parseHex(g.get("publicKey").get("pk").asText());
        } else {
          String curve = g.get("publicKey").get("curve").asText();
          type = curve.equals("secp256k1") ? KeyType.ECDSA_SECP256K1 : KeyType.ECDSA_P256;
          pk = org.bouncycastle.crypto.ec.CustomNamedCurves.getByName(curve).getCurve()
              .decodePoint(HEX.parseHex(g.get("publicKey").get("uncompressed").asText())).getEncoded(true);
        }
        boolean der = file.endsWith("sha256_test.json");
        for (JsonNode t : g.get("tests")) {
          byte[] msg = HEX.parseHex(t.get("msg").asText());
          byte[] sig = HEX.parseHex(t.get("sig").asText());
          if (der) {
            sig = strictDerToP1363(sig);
          }
          String name = file + " #" + t.get("tcId").asInt() + " " + t.get("comment").asText();
          Outcome reference = SignatureRules.check(type, pk, msg, sig, null);
          Outcome assisted = SignatureRules.check(type, pk, msg, sig, engine);
          assertEquals(reference, assisted, name);
          if (t.get("result").asText().equals("valid")) {
            assertTrue(reference == Outcome.VALID || type != KeyType.ED25519 && reference == Outcome.NON_CANONICAL, name + ": " + reference);
          } else {
            assertNotEquals(Outcome.VALID, reference, name);
          }
          inFile++;
        }
      }
      assertEquals(root.get("numberOfTests").asInt(), inFile, file);
      total += inFile;
    }
    assertEquals(151 + 262 + 484 + 252 + 476, total, "every case of the five files");
  }

  /** Strict DER (minimal, nothing after) to r || s, as the envelope carries them; anything else stays as is (and is refused). */
  private static byte[] strictDerToP1363(byte[] der) {
    try {
      org.bouncycastle.asn1.ASN1Primitive p = org.bouncycastle.asn1.ASN1Primitive.fromByteArray(der);
      if (!java.util.Arrays.equals(p.getEncoded("DER"), der) || !(p instanceof org.bouncycastle.asn1.ASN1Sequence seq) || seq.size() != 2) {
        return der;
      }
      BigInteger r = org.bouncycastle.asn1.ASN1Integer.getInstance(seq.getObjectAt(0)).getValue();
      BigInteger s = org.bouncycastle.asn1.ASN1Integer.getInstance(seq.getObjectAt(1)).getValue();
      if (r.signum() < 0 || s.signum() < 0 || r.bitLength() > 256 || s.bitLength() > 256) {
        return der;
      }
      return DifferentialCases.rs(r, s);
    } catch (Exception e) {
      return der;
    }
  }

  @Test
  void rfc8032_test_vectors_verify_on_both_paths_and_their_tampered_copies_on_neither() {
    String[][] vectors = {
      {"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
      {"ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
    };
    for (String[] v : vectors) {
      byte[] pk = HEX.parseHex(v[0]);
      byte[] msg = HEX.parseHex(v[1]);
      byte[] sig = HEX.parseHex(v[2]);
      assertEquals(Outcome.VALID, SignatureRules.check(KeyType.ED25519, pk, msg, sig, null));
      assertEquals(Outcome.VALID, SignatureRules.check(KeyType.ED25519, pk, msg, sig, engine));
      for (int bit = 0; bit < 512; bit += 7) {
        byte[] bad = sig.clone();
        bad[bit / 8] ^= (byte) (1 << (bit % 8));
        Outcome reference = SignatureRules.check(KeyType.ED25519, pk, msg, bad, null);
        assertEquals(reference, SignatureRules.check(KeyType.ED25519, pk, msg, bad, engine), "bit " + bit);
        assertNotEquals(Outcome.VALID, reference);
      }
    }
  }

  @Test
  void envelopes_get_the_same_reason_on_both_paths() {
    EnvelopeVerifier reference = EnvelopeVerifier.create();
    EnvelopeVerifier fast = EnvelopeVerifier.builder().signatureEngine(engine).build();
    List<SoftwareSigner> signers = new ArrayList<>();
    for (KeyType t : KeyType.values()) {
      for (int i = 0; i < 3; i++) {
        signers.add(SoftwareSigner.generate(t, new java.security.SecureRandom()));
      }
    }
    SplittableRandom r = new SplittableRandom(18);
    AtomicInteger seq = new AtomicInteger(1);
    Map<String, Integer> reasons = new java.util.TreeMap<>();
    for (int i = 0; i < 6_000; i++) {
      SoftwareSigner s = signers.get(r.nextInt(signers.size()));
      byte[] env = EnvelopeSealer.builder().signer(s).sequence(seq::getAndIncrement).networkId("popw-diff").build()
          .seal(dev.popw.proto.v1.SensorReading.newBuilder().addMeasurements(dev.popw.proto.v1.Measurement.newBuilder()
              .setQuantity(dev.popw.proto.v1.Quantity.TEMPERATURE).setValue(i).setUnit(dev.popw.proto.v1.Unit.CELSIUS)).build())
          .bytes();
      if (r.nextInt(3) > 0) {
        env[r.nextInt(env.length)] ^= (byte) (1 << r.nextInt(8)); // anywhere: signature, telemetry, key, framing
      }
      VerificationResult a = reference.verify(env);
      VerificationResult b = fast.verify(env);
      assertEquals(a.reason(), b.reason(), "envelope " + i);
      assertEquals(a.detail(), b.detail(), "envelope " + i);
      reasons.merge(a.reason().name(), 1, Integer::sum);
    }
    assertTrue(reasons.containsKey("OK") && reasons.containsKey("BAD_SIGNATURE"), reasons::toString);
    assertNotNull(fast.signatureEngine());
  }

  @Test
  void an_engine_that_refuses_or_fails_everything_changes_no_decision() {
    SignatureEngine refuses = new SignatureEngine() {
      public String name() {
        return "refuses";
      }

      public Object prepare(KeyType type, byte[] encoded) {
        return encoded;
      }

      public boolean verify(KeyType type, Object key, byte[] m, int off, int len, byte[] sig) {
        return false;
      }
    };
    SignatureEngine fails = new SignatureEngine() {
      public String name() {
        return "fails";
      }

      public Object prepare(KeyType type, byte[] encoded) throws Exception {
        if (encoded[1] % 2 == 0) {
          throw new java.security.InvalidKeyException("declined");
        }
        return encoded;
      }

      public boolean verify(KeyType type, Object key, byte[] m, int off, int len, byte[] sig) {
        throw new UnsatisfiedLinkError("no native library");
      }
    };
    DifferentialCases cases = new DifferentialCases(engine, 8);
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < 3_000; i++) {
      DifferentialCases.Case c = cases.next(r);
      Outcome reference = SignatureRules.check(c.type(), c.publicKey(), c.message(), c.signature(), null);
      assertEquals(reference, SignatureRules.check(c.type(), c.publicKey(), c.message(), c.signature(), refuses), c::toString);
      assertEquals(reference, SignatureRules.check(c.type(), c.publicKey(), c.message(), c.signature(), fails), c::toString);
    }
  }
}
