package dev.popw.identity.pkcs11;

import dev.popw.identity.DeviceSigner;
import dev.popw.identity.SignerProvider;
import java.net.URI;

/** Opens {@code pkcs11:} signer URIs (RFC 7512), registered with {@link java.util.ServiceLoader}. */
public final class Pkcs11SignerProvider implements SignerProvider {
  @Override
  public String scheme() {
    return "pkcs11";
  }

  @Override
  public DeviceSigner open(URI uri) {
    return Pkcs11Signer.open(uri.toString(), System.getenv());
  }
}
