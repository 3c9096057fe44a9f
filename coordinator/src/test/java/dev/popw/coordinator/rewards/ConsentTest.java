package dev.popw.coordinator.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.StructuredDataEncoder;

class ConsentTest {
  static final Credentials OWNER = Credentials.create("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  static final Credentials OTHER = Credentials.create("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
  static final String DEVICE = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

  @Test
  void digestIsTheEip712OneWalletsSign() throws Exception {
    // web3j's own EIP-712 encoder (eth_signTypedData_v4's JSON) as the independent implementation
    String json = "{\"types\":{\"EIP712Domain\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"version\",\"type\":\"string\"}],"
        + "\"DeviceConsent\":[{\"name\":\"network\",\"type\":\"string\"},{\"name\":\"device\",\"type\":\"string\"},"
        + "{\"name\":\"owner\",\"type\":\"address\"}]},\"primaryType\":\"DeviceConsent\",\"domain\":{\"name\":\"PoPW Edge\","
        + "\"version\":\"1\"},\"message\":{\"network\":\"popw-devnet\",\"device\":\"" + DEVICE + "\",\"owner\":\"" + OWNER.getAddress()
        + "\"}}";
    assertArrayEquals(new StructuredDataEncoder(json).hashStructuredData(), Consent.digest("popw-devnet", DEVICE, OWNER.getAddress()));
  }

  @Test
  void onlyTheOwnersSignatureForThisDeviceAndNetworkCounts() {
    byte[] sig = Consent.sign(OWNER, "popw-devnet", DEVICE);
    assertTrue(Consent.verify("popw-devnet", DEVICE, OWNER.getAddress(), sig));
    assertTrue(Consent.verify("popw-devnet", DEVICE, OWNER.getAddress().toUpperCase().replace("0X", "0x"), sig));
    assertFalse(Consent.verify("popw-devnet", DEVICE, OTHER.getAddress(), sig));
    assertFalse(Consent.verify("other-net", DEVICE, OWNER.getAddress(), sig));
    assertFalse(Consent.verify("popw-devnet", DEVICE + "x", OWNER.getAddress(), sig));
    assertFalse(Consent.verify("popw-devnet", DEVICE, OWNER.getAddress(), Consent.sign(OTHER, "popw-devnet", DEVICE)));
    assertThrows(IllegalArgumentException.class, () -> Consent.verify("popw-devnet", DEVICE, OWNER.getAddress(), new byte[64]));
    byte[] badV = sig.clone();
    badV[64] = 5;
    assertThrows(IllegalArgumentException.class, () -> Consent.verify("popw-devnet", DEVICE, OWNER.getAddress(), badV));
  }
}
