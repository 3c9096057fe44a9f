package dev.popw.bench;

import dev.popw.identity.DeviceSigner;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.identity.pkcs11.Pkcs11Signer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Signs per second of a P-256 device key per signer: in memory (software), in SoftHSM2 and in a
 * software TPM (swtpm through tpm2-abrmd and tpm2-pkcs11), each through {@link DeviceSigner#sign}
 * (SHA-256, the token's C_Sign, low-S normalization). One thread: a device signs one envelope at a
 * time. {@code bench/run signatures} starts the token stacks (device-agent/src/test/scripts/hwkey-stack.sh)
 * and passes their key URIs; a token that is not given is left out of the table.
 *
 * <p>Usage: {@code HardwareSignerBenchmark [--seconds N] [NAME=pkcs11:URI ...]}
 */
public final class HardwareSignerBenchmark {
  public static void main(String[] args) throws Exception {
    double seconds = 5;
    List<String[]> tokens = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--seconds")) {
        seconds = Double.parseDouble(args[++i]);
      } else {
        int eq = args[i].indexOf('=');
        tokens.add(new String[] {args[i].substring(0, eq), args[i].substring(eq + 1)});
      }
    }
    System.out.printf("%-10s %12s %14s %10s%n", "signer", "signs/s", "us/sign", "vs software");
    double software;
    try (DeviceSigner s = SoftwareSigner.generate(KeyType.ECDSA_P256, new SecureRandom())) {
      software = measure(s, seconds);
    }
    print("software", software, software);
    for (String[] t : tokens) {
      try (DeviceSigner s = Pkcs11Signer.generate(t[1], System.getenv())) {
        print(t[0], measure(s, seconds), software);
      }
    }
  }

  private static double measure(DeviceSigner s, double seconds) {
    byte[] m = "popw bench telemetry of about a hundred bytes, as an envelope's signed part is ........".getBytes(StandardCharsets.US_ASCII);
    long warm = System.nanoTime() + (long) (Math.min(2, seconds / 2) * 1e9);
    while (System.nanoTime() < warm) {
      m[0]++;
      s.sign(m);
    }
    long n = 0;
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long now;
    do {
      m[0]++;
      s.sign(m);
      n++;
      now = System.nanoTime();
    } while (now < end);
    return n / ((now - start) / 1e9);
  }

  private static void print(String name, double perSecond, double software) {
    System.out.printf("%-10s %12.0f %14.1f %10.4f%n", name, perSecond, 1e6 / perSecond, perSecond / software);
  }
}
