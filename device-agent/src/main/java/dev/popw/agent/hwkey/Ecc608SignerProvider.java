package dev.popw.agent.hwkey;

import dev.popw.identity.DeviceSigner;
import dev.popw.identity.SignerException;
import dev.popw.identity.SignerProvider;
import dev.popw.identity.ecc608.Ecc608;
import dev.popw.identity.ecc608.Ecc608Signer;
import dev.popw.identity.ecc608.Ecc608Uri;
import java.io.IOException;
import java.net.URI;

/** Opens {@code ecc608://i2c-1:0x60?slot=0} (and gateway-rs's {@code ecc://}) keys through Pi4J. */
public final class Ecc608SignerProvider implements SignerProvider {
  @Override
  public String scheme() {
    return "ecc608";
  }

  @Override
  public DeviceSigner open(URI uri) {
    return open(uri.toString(), false);
  }

  static Ecc608Signer open(String uri, boolean generate) {
    Ecc608Uri u = Ecc608Uri.parse(uri);
    Pi4jEcc608Bus bus;
    try {
      bus = Pi4jEcc608Bus.open(u.bus(), u.address());
    } catch (IOException e) {
      throw new SignerException(e.getMessage(), e);
    }
    Ecc608 chip = new Ecc608(bus);
    return generate ? Ecc608Signer.generate(chip, u.slot()) : Ecc608Signer.open(chip, u.slot());
  }
}
