package dev.popw.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.popw.internal.crypto.EcdsaScheme;
import dev.popw.internal.crypto.Ed25519Scheme;
import dev.popw.internal.crypto.SignatureCheck;
import dev.popw.internal.encoding.Hex;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Published known-answer vectors for the signing primitives. */
class SignatureVectorsTest {

  /** RFC 8032, section 7.1: TEST 1, TEST 2, TEST 3 and TEST SHA(abc). */
  @ParameterizedTest(name = "RFC 8032 {0}")
  @CsvSource({
    "TEST 1, 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60, d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a, '', "
        + "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    "TEST 2, 4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb, 3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c, 72, "
        + "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    "TEST 3, c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7, fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025, af82, "
        + "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    "TEST SHA(abc), 833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42, ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf, "
        + "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f, "
        + "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"
  })
  void ed25519_matches_rfc8032(String name, String secret, String pub, String msg, String sig) {
    SoftwareSigner signer = SoftwareSigner.fromPrivateKey(KeyType.ED25519, Hex.decode(secret));
    assertEquals(pub, Hex.encode(signer.publicKey()), "public key");
    byte[] m = Hex.decode(msg);
    assertEquals(sig, Hex.encode(signer.sign(m)), "signature");
    assertEquals(SignatureCheck.VALID, Ed25519Scheme.decodePublicKey(Hex.decode(pub)).verify(m, 0, m.length, Hex.decode(sig)));
  }

  /**
   * RFC 6979, appendix A.2.5 (P-256, SHA-256): the deterministic nonce gives these (r, s). Our
   * signer then normalizes s to the low half, so s' = n - s whenever s &gt; n/2.
   */
  @ParameterizedTest(name = "RFC 6979 P-256 SHA-256 \"{0}\"")
  @CsvSource({
    "sample, efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716, f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
    "test, f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367, 019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"
  })
  void p256_is_deterministic_per_rfc6979_with_low_s(String msg, String r, String s) {
    SoftwareSigner signer = SoftwareSigner.fromPrivateKey(KeyType.ECDSA_P256,
        Hex.decode("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"));
    assertEquals("0360fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6", Hex.encode(signer.publicKey()));
    byte[] sig = signer.sign(msg.getBytes(StandardCharsets.US_ASCII));
    BigInteger n = EcdsaScheme.P256.domain().getN();
    BigInteger expectedS = new BigInteger(s, 16);
    if (expectedS.compareTo(n.shiftRight(1)) > 0) {
      expectedS = n.subtract(expectedS);
    }
    assertEquals(r, Hex.encode(java.util.Arrays.copyOfRange(sig, 0, 32)));
    assertArrayEquals(fixed(expectedS), java.util.Arrays.copyOfRange(sig, 32, 64));
  }

  private static byte[] fixed(BigInteger v) {
    byte[] b = v.toByteArray();
    byte[] out = new byte[32];
    System.arraycopy(b, Math.max(0, b.length - 32), out, Math.max(0, 32 - b.length), Math.min(32, b.length));
    return out;
  }
}
