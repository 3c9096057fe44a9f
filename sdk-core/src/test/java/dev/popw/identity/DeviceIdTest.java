package dev.popw.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.internal.encoding.Hex;
import dev.popw.testing.TestKeys;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DeviceIdTest {

  /**
   * The did:key method's well-known prefixes follow from the multicodec varint of each key type:
   * z6Mk (ed25519-pub 0xed01), zDn (p256-pub 0x8024), zQ3s (secp256k1-pub 0xe701).
   */
  @ParameterizedTest
  @EnumSource(KeyType.class)
  void printable_form_is_did_key_with_the_standard_prefix(KeyType type) {
    String expected = type == KeyType.ED25519 ? "did:key:z6Mk" : type == KeyType.ECDSA_P256 ? "did:key:zDn" : "did:key:zQ3s";
    for (int i = 0; i < 20; i++) {
      DeviceId id = SoftwareSigner.generate(type, new SecureRandom()).deviceId();
      assertTrue(id.toString().startsWith(expected), id.toString());
      assertEquals(id, DeviceId.parse(id.toString()));
      assertEquals(id, DeviceId.fromBytes(id.toBytes()));
      assertEquals(type, id.keyType());
    }
  }

  @Test
  void binary_form_is_multicodec_varint_then_key() {
    DeviceId id = TestKeys.signer(KeyType.ED25519).deviceId();
    assertEquals("ed01" + "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", Hex.encode(id.toBytes()));
    DeviceId p256 = TestKeys.signer(KeyType.ECDSA_P256).deviceId();
    assertEquals("8024", Hex.encode(p256.toBytes()).substring(0, 4));
    assertArrayEquals(TestKeys.signer(KeyType.ECDSA_P256).publicKey(), p256.publicKey());
  }

  @Test
  void parse_rejects_other_text_with_a_clear_message() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceId.parse("hello"));
    assertTrue(e.getMessage().contains("did:key"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DeviceId.parse("did:key:z6Mk0OIl"));
    // a valid base58 string of the wrong length
    assertThrows(IllegalArgumentException.class, () -> DeviceId.parse("did:key:z6MkhaXgBZ"));
  }

  /**
   * Found while fuzzing the broker's CONNECT: base58 decoding is quadratic in the length, so a
   * 32 KiB user name (the broker's packet limit) took seconds of an event loop to refuse, and the
   * refusal quoted all of it. Text longer than any device id is refused before decoding.
   */
  @Test
  void parse_refuses_text_longer_than_any_device_id_without_decoding_or_quoting_it() {
    for (KeyType type : KeyType.values()) {
      DeviceId id = TestKeys.signer(type).deviceId();
      assertEquals(id, DeviceId.parse(id.toString()), "the longest ids still parse");
    }
    String huge = "did:key:z" + "z".repeat(32_000);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceId.parse(huge));
    assertTrue(e.getMessage().contains(huge.length() + " characters"), e.getMessage().substring(0, Math.min(200, e.getMessage().length())));
    assertTrue(e.getMessage().length() < 200, "the message does not quote the text");
  }

  @Test
  void only_secp256k1_ids_have_an_evm_address() {
    assertTrue(TestKeys.signer(KeyType.ECDSA_SECP256K1).deviceId().evmAddress().isPresent());
    assertFalse(TestKeys.signer(KeyType.ED25519).deviceId().evmAddress().isPresent());
    assertFalse(TestKeys.signer(KeyType.ECDSA_P256).deviceId().evmAddress().isPresent());
  }
}
