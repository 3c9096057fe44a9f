package dev.popw.identity.pkcs11;

import java.nio.charset.StandardCharsets;

/**
 * Tries to take a private key out of a PKCS#11 token, as an attacker with the PIN would: reads
 * CKA_VALUE (the private scalar), CKA_SENSITIVE and CKA_EXTRACTABLE. Run in its own JVM with the
 * token's environment: {@code ExportAttempt MODULE TOKEN LABEL PIN}; prints one line per attribute.
 */
public final class ExportAttempt {
  public static void main(String[] a) throws Exception {
    Cryptoki p11 = Cryptoki.load(java.nio.file.Path.of(a[0]));
    long slot = -1;
    for (long s : p11.slots()) {
      if (p11.tokenInfo(s)[0].equals(a[1])) {
        slot = s;
      }
    }
    long session = p11.openSession(slot);
    p11.login(session, a[3].toCharArray());
    long[] keys = p11.find(session, new Object[] {Cryptoki.CKA_CLASS, Cryptoki.CKO_PRIVATE_KEY, Cryptoki.CKA_LABEL,
        a[2].getBytes(StandardCharsets.UTF_8)});
    System.out.println("keys=" + keys.length);
    System.out.println("sensitive=" + p11.bool(session, keys[0], Cryptoki.CKA_SENSITIVE));
    System.out.println("extractable=" + p11.bool(session, keys[0], Cryptoki.CKA_EXTRACTABLE));
    try {
      byte[] v = p11.bytes(session, keys[0], Cryptoki.CKA_VALUE);
      System.out.println("value=EXPORTED " + (v == null ? 0 : v.length) + " bytes");
    } catch (Cryptoki.Failure f) {
      System.out.println("value=refused " + f.getMessage());
    }
  }
}
