package dev.popw.coordinator.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import dev.popw.testing.DocumentedVectors;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.crypto.StructuredDataEncoder;

/**
 * The EIP-712 self-registration vector of docs/wire-format.md: the document and the code agree, and
 * web3j's own EIP-712 encoder ({@code StructuredDataEncoder}, typed data as a wallet receives it)
 * gives the same digest. {@code ChainIT} checks it against the contract.
 */
class SelfRegistrationVectorTest {
  private static Map<String, String> documented() {
    return DocumentedVectors.block(DocumentedVectors.doc("wire-format.md"), "eip712 self-registration");
  }

  @Test
  void the_document_matches_the_code() {
    assertEquals(SelfRegistrationVector.compute(), documented(), "docs/wire-format.md is stale: regenerate it with SelfRegistrationVector.main");
  }

  @Test
  void web3j_typed_data_encoder_gives_the_same_digest() throws Exception {
    Map<String, String> v = documented();
    String typedData = """
        {"types": {
           "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                            {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
           "Register": [{"name": "deviceId", "type": "bytes32"}, {"name": "owner", "type": "address"},
                        {"name": "kind", "type": "uint8"}, {"name": "nonce", "type": "uint256"}]},
         "primaryType": "Register",
         "domain": {"name": "PoPW DeviceRegistry", "version": "1", "chainId": %s, "verifyingContract": "%s"},
         "message": {"deviceId": "0x%s", "owner": "%s", "kind": %s, "nonce": %s}}
        """.formatted(v.get("chain_id"), v.get("verifying_contract"), v.get("device_id"), v.get("owner"), v.get("kind"), v.get("nonce"));
    StructuredDataEncoder encoder = new StructuredDataEncoder(typedData);
    assertEquals(v.get("domain_separator"), HexFormat.of().formatHex(encoder.hashDomain()));
    assertEquals(v.get("digest"), HexFormat.of().formatHex(encoder.hashStructuredData()));
  }

  @Test
  void the_signature_recovers_the_device_and_the_device_id_is_its_multicodec_key_hash() throws Exception {
    Map<String, String> v = documented();
    byte[] sig = HexFormat.of().parseHex(v.get("signature"));
    Sign.SignatureData data = new Sign.SignatureData(sig[64], Arrays.copyOfRange(sig, 0, 32), Arrays.copyOfRange(sig, 32, 64));
    BigInteger key = Sign.signedMessageHashToKey(HexFormat.of().parseHex(v.get("digest")), data);
    assertEquals(v.get("device_public_key_xy"), HexFormat.of().formatHex(org.web3j.utils.Numeric.toBytesPadded(key, 64)));
    assertEquals(v.get("device_address"), Keys.toChecksumAddress(Keys.getAddress(key)));
    assertArrayEquals(HexFormat.of().parseHex(v.get("device_id")), Hash.sha3(HexFormat.of().parseHex("e701" + v.get("device_public_key"))));
  }
}
