package dev.popw.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.internal.crypto.Der;
import dev.popw.internal.crypto.EcdsaScheme;
import dev.popw.internal.crypto.Ed25519Scheme;
import dev.popw.internal.crypto.Sha256;
import dev.popw.internal.crypto.SignatureCheck;
import dev.popw.internal.crypto.VerifyingKey;
import dev.popw.internal.encoding.Hex;
import dev.popw.testing.TestVectors;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of the C2SP Wycheproof files (testvectors_v1, Apache 2.0) in
 * {@code src/test/resources/wycheproof/}, where the README names their source and checksums.
 *
 * <p>Policy, also in docs/wire-format.md: every {@code invalid} case is rejected. Every {@code
 * valid} case is accepted by plain verification; the envelope rules additionally require canonical
 * form, so a valid ECDSA signature with high S is reported NON_CANONICAL (and its low-S twin is
 * accepted). {@code acceptable} cases (none in the current files) are rejected: we prefer strict.
 */
class WycheproofTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Case(String file, int tcId, String result, String comment, JsonNode group, JsonNode test) {
    @Override
    public String toString() {
      return file + " #" + tcId + " " + result + " " + comment;
    }
  }

  static Stream<Arguments> ed25519() throws IOException {
    return cases("ed25519_test.json");
  }

  static Stream<Arguments> ecdsa() throws IOException {
    List<Arguments> all = new ArrayList<>();
    for (String f : List.of(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        "ecdsa_secp256r1_sha256_test.json",
        "ecdsa_secp256k1_sha256_p1363_test.json",
        "ecdsa_secp256k1_sha256_test.json")) {
      cases(f).forEach(all::add);
    }
    return all.stream();
  }

  private static Stream<Arguments> cases(String file) throws IOException {
    JsonNode root;
    try (InputStream in = TestVectors.wycheproof(file)) {
      root = JSON.readTree(in);
    }
    List<Arguments> out = new ArrayList<>();
    for (JsonNode g : root.get("testGroups")) {
      for (JsonNode t : g.get("tests")) {
        out.add(Arguments.of(new Case(file, t.get("tcId").asInt(), t.get("result").asText(), t.get("comment").asText(), g, t)));
      }
    }
    assertEquals(root.get("numberOfTests").asInt(), out.size(), "case count of " + file);
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ed25519")
  void ed25519_case(Case c) {
    byte[] pk = Hex.decode(c.group().get("publicKey").get("pk").asText());
    byte[] msg = Hex.decode(c.test().get("msg").asText());
    byte[] sig = Hex.decode(c.test().get("sig").asText());
    VerifyingKey key = Ed25519Scheme.decodePublicKey(pk);
    SignatureCheck check = key == null ? SignatureCheck.INVALID : key.verify(msg, 0, msg.length, sig);
    if (c.result().equals("valid")) {
      assertEquals(SignatureCheck.VALID, check, c.toString());
    } else {
      assertTrue(check != SignatureCheck.VALID, c + " must be rejected");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ecdsa")
  void ecdsa_case(Case c) {
    JsonNode pkNode = c.group().get("publicKey");
    EcdsaScheme scheme = pkNode.get("curve").asText().equals("secp256k1") ? EcdsaScheme.SECP256K1 : EcdsaScheme.P256;
    EcdsaScheme.Key key = scheme.decodeAnyPublicKey(Hex.decode(pkNode.get("uncompressed").asText()));
    assertNotNull(key, "group key must decode: " + c);
    byte[] msg = Hex.decode(c.test().get("msg").asText());
    byte[] sig = Hex.decode(c.test().get("sig").asText());
    boolean der = c.file().endsWith("sha256_test.json");

    // Plain ECDSA (what X9.62 calls valid), through strict DER or exact-length P1363.
    BigInteger[] rs = der ? Der.decodeEcdsaSignature(sig) : p1363(sig);
    boolean plain = rs != null && key.verifyStandard(Sha256.hash(msg), rs[0], rs[1]);

    // The envelope rules: 64-byte r||s, canonical (low-S) only.
    byte[] raw = rs == null ? sig : p1363(rs[0], rs[1]);
    SignatureCheck strict = rs == null ? SignatureCheck.INVALID : key.verify(msg, 0, msg.length, raw);

    if (c.result().equals("valid")) {
      assertTrue(plain, c + " must verify");
      boolean highS = rs[1].compareTo(scheme.domain().getN().shiftRight(1)) > 0;
      assertEquals(highS ? SignatureCheck.NON_CANONICAL : SignatureCheck.VALID, strict, c.toString());
      if (highS) {
        byte[] twin = p1363(rs[0], scheme.domain().getN().subtract(rs[1]));
        assertEquals(SignatureCheck.VALID, key.verify(msg, 0, msg.length, twin), "low-S twin of " + c);
      }
    } else {
      assertTrue(!plain, c + " must be rejected by plain verification");
      assertTrue(strict != SignatureCheck.VALID, c + " must be rejected by the envelope rules");
    }
  }

  @Test
  void the_files_hold_no_acceptable_cases_today() throws IOException {
    // Our policy for "acceptable" is to reject; this documents that the policy is not exercised yet.
    long acceptable = Stream.concat(ed25519(), ecdsa())
        .map(a -> (Case) a.get()[0])
        .filter(c -> c.result().equals("acceptable"))
        .count();
    assertEquals(0, acceptable);
  }

  private static BigInteger[] p1363(byte[] sig) {
    if (sig.length != 64) {
      return null;
    }
    return new BigInteger[] {
      new BigInteger(1, Arrays.copyOfRange(sig, 0, 32)), new BigInteger(1, Arrays.copyOfRange(sig, 32, 64))
    };
  }

  private static byte[] p1363(BigInteger r, BigInteger s) {
    byte[] out = new byte[64];
    if (r.bitLength() > 256 || s.bitLength() > 256) {
      return new byte[0];
    }
    byte[] rb = r.toByteArray();
    byte[] sb = s.toByteArray();
    System.arraycopy(rb, Math.max(0, rb.length - 32), out, 32 - Math.min(32, rb.length), Math.min(32, rb.length));
    System.arraycopy(sb, Math.max(0, sb.length - 32), out, 64 - Math.min(32, sb.length), Math.min(32, sb.length));
    return out;
  }
}
