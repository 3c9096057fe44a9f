package dev.popw.testing;

import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.internal.encoding.Hex;

/**
 * Fixed keys shared by every module's tests (published in the sdk-core test-jar). Never use them
 * for anything real: they are public.
 */
public final class TestKeys {
  /** RFC 8032, section 7.1, TEST 1 secret key. */
  public static final String ED25519_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  /** The RFC 6979 appendix A.2.5 P-256 private key. */
  public static final String P256_SCALAR = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
  /** anvil's and Hardhat's well-known development account #0. */
  public static final String SECP256K1_SCALAR = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

  /** RFC 8032, section 7.1, TEST 2 secret key: the test coordinator's receipt-signing key. */
  public static final String COORDINATOR_SEED = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
  /** Its public key (RFC 8032 TEST 2), what test devices pin. */
  public static final String COORDINATOR_PUBLIC_KEY = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";

  private TestKeys() {}

  /** The test coordinator's Ed25519 receipt-signing key. */
  public static SoftwareSigner coordinator() {
    return SoftwareSigner.fromPrivateKey(KeyType.ED25519, Hex.decode(COORDINATOR_SEED));
  }

  /** What a test device trusts: receipts signed by {@link #coordinator()}. */
  public static dev.popw.receipt.ReceiptTrust coordinatorTrust() {
    return dev.popw.receipt.ReceiptTrust.pinned(COORDINATOR_PUBLIC_KEY);
  }

  /** The fixed signer of a key type. */
  public static SoftwareSigner signer(KeyType type) {
    switch (type) {
      case ED25519:
        return SoftwareSigner.fromPrivateKey(type, Hex.decode(ED25519_SEED));
      case ECDSA_P256:
        return SoftwareSigner.fromPrivateKey(type, Hex.decode(P256_SCALAR));
      case ECDSA_SECP256K1:
        return SoftwareSigner.fromPrivateKey(type, Hex.decode(SECP256K1_SCALAR));
      default:
        throw new IllegalArgumentException(String.valueOf(type));
    }
  }
}
