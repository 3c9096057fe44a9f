package dev.popw.identity;

import java.net.URI;

/**
 * Opens signers for one URI scheme. Register an implementation with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/dev.popw.identity.SignerProvider}) to add, for example, {@code pkcs11:}
 * or {@code ecc608://i2c-1:0x60?slot=0} keys.
 */
public interface SignerProvider {
  /** The URI scheme this provider opens, lower case, for example {@code "pkcs11"}. */
  String scheme();

  /**
   * Opens the key named by {@code uri}.
   *
   * @throws SignerException with a message fit for the user
   */
  DeviceSigner open(URI uri);
}
