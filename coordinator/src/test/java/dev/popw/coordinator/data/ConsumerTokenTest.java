package dev.popw.coordinator.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Sign;

class ConsumerTokenTest {
  static final Credentials KEY = Credentials.create("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  static final long NOW = 1_790_000_000_000L;

  @Test
  void theTokenProvesTheKeysAccountWithinTheWindow() {
    String h = ConsumerToken.header(KEY, "popw-devnet", NOW);
    assertEquals(KEY.getAddress().toLowerCase(), ConsumerToken.account(h, "popw-devnet", NOW + 299_000, 300_000));
    IllegalArgumentException stale = assertThrows(IllegalArgumentException.class,
        () -> ConsumerToken.account(h, "popw-devnet", NOW + 301_000, 300_000));
    assertTrue(stale.getMessage().contains("301 s"), stale.getMessage());
    assertNotEquals(KEY.getAddress().toLowerCase(), ConsumerToken.account(h, "other", NOW, 300_000), "bound to the network");
  }

  @Test
  void itIsAPlainPersonalSignAWalletMakes() {
    // what eth_sign / personal_sign of the text gives, made by web3j's own EIP-191 signer
    Sign.SignatureData s = Sign.signPrefixedMessage(("popw-data-v1\npopw-devnet\n" + NOW).getBytes(), KEY.getEcKeyPair());
    String hex = java.util.HexFormat.of().formatHex(s.getR()) + java.util.HexFormat.of().formatHex(s.getS())
        + java.util.HexFormat.of().formatHex(s.getV());
    assertEquals(KEY.getAddress().toLowerCase(), ConsumerToken.account("PoPW-Consumer v1." + NOW + "." + hex, "popw-devnet", NOW, 1000));
  }

  @Test
  void malformedTokensAreRefusedWithAReason() {
    for (String bad : new String[] {null, "", "Bearer x", "PoPW-Consumer v2.1.00", "PoPW-Consumer v1.abc." + "0".repeat(130),
        "PoPW-Consumer v1.1." + "0".repeat(128), "PoPW-Consumer v1.99999999999999999999." + "0".repeat(130)}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConsumerToken.account(bad, "n", NOW, 1000), bad);
      assertTrue(e.getMessage().length() > 10);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConsumerToken.account("PoPW-Consumer v1." + NOW + "." + "0".repeat(130), "n", NOW, 1000));
    assertTrue(e.getMessage().contains("recover"), e.getMessage());
  }
}
