package dev.popw.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.popw.internal.encoding.Hex;
import dev.popw.testing.TestKeys;
import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;

/** Our secp256k1 device address against web3j, an independent implementation. */
class EvmAddressTest {

  @Test
  void matches_the_well_known_anvil_account_zero() {
    EvmAddress a = TestKeys.signer(KeyType.ECDSA_SECP256K1).deviceId().evmAddress().orElseThrow();
    assertEquals("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", a.toString());
  }

  @Test
  void equals_web3j_for_random_keys() {
    Random r = new Random(7);
    for (int i = 0; i < 200; i++) {
      byte[] d = new byte[32];
      r.nextBytes(d);
      d[0] &= 0x7f; // stay below the group order
      d[31] |= 1;
      SoftwareSigner signer = SoftwareSigner.fromPrivateKey(KeyType.ECDSA_SECP256K1, d);
      ECKeyPair pair = ECKeyPair.create(new BigInteger(1, d));
      String expected = Keys.toChecksumAddress(Keys.getAddress(pair.getPublicKey()));
      assertEquals(expected, signer.deviceId().evmAddress().orElseThrow().toString(), "key " + Hex.encode(d));
    }
  }

  @Test
  void parse_checks_the_eip55_checksum() {
    assertEquals("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        EvmAddress.parse("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").toString());
    assertThrows(IllegalArgumentException.class, () -> EvmAddress.parse("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    assertThrows(IllegalArgumentException.class, () -> EvmAddress.parse("0x1234"));
  }
}
