package dev.popw.identity.pkcs11;

import dev.popw.identity.DeviceId;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.KeyStorage;
import dev.popw.identity.KeyType;
import dev.popw.identity.SignerException;
import dev.popw.internal.crypto.EcdsaScheme;
import dev.popw.internal.crypto.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A device key held in a PKCS#11 token (an HSM, SoftHSM, a TPM 2.0 through tpm2-pkcs11): the private
 * key is made in the token ({@link #generate}), marked sensitive and not extractable, and only ever
 * used through {@code C_Sign}. ECDSA P-256: the token signs SHA-256(message) with {@code CKM_ECDSA}
 * and its own random nonce; the signature is then normalized to low S, as the envelope rules require.
 *
 * <p>Thread-safe: signing is serialized on one session (tokens are slower than that lock).
 */
public final class Pkcs11Signer implements DeviceSigner {
  /** DER of the P-256 curve OID (1.2.840.10045.3.1.7), the key's CKA_EC_PARAMS. */
  private static final byte[] P256_PARAMS = {0x06, 0x08, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x03, 0x01, 0x07};
  private static final long CKR_SESSION_HANDLE_INVALID = 0xB3;
  private static final long CKR_SESSION_CLOSED = 0xB0;
  private static final long CKR_DEVICE_REMOVED = 0x32;
  private static final long CKR_USER_NOT_LOGGED_IN = 0x101;

  private final Cryptoki p11;
  private final Pkcs11Uri uri;
  private final long slot;
  private final char[] pin;
  private final byte[] publicKey;
  private final DeviceId deviceId;
  private final KeyStorage storage;
  private long session;
  private long key;
  private boolean closed;

  private Pkcs11Signer(Cryptoki p11, Pkcs11Uri uri, long slot, char[] pin, long session, long key, byte[] publicKey, KeyStorage storage) {
    this.p11 = p11;
    this.uri = uri;
    this.slot = slot;
    this.pin = pin;
    this.session = session;
    this.key = key;
    this.publicKey = publicKey;
    this.deviceId = DeviceId.of(KeyType.ECDSA_P256, publicKey);
    this.storage = storage;
  }

  /**
   * Opens the key a URI names.
   *
   * @throws SignerException with one line for the user: no module, no token, wrong PIN, no key
   */
  public static Pkcs11Signer open(String uriText, Map<String, String> env) {
    Pkcs11Uri uri = Pkcs11Uri.parse(uriText);
    Cryptoki p11 = Cryptoki.load(uri.modulePath());
    Token t = findToken(p11, uri);
    char[] pin = uri.readPin(env);
    long session = login(p11, uri, t, pin);
    try {
      long priv = findOne(p11, session, uri, Cryptoki.CKO_PRIVATE_KEY, true);
      byte[] pub = publicKeyOf(p11, session, uri);
      return new Pkcs11Signer(p11, uri, t.slot, pin, session, priv, pub, t.storage(uri));
    } catch (Cryptoki.Failure f) {
      p11.closeSession(session);
      throw new SignerException("PKCS#11 token '" + t.label + "': " + f.getMessage());
    } catch (RuntimeException e) {
      p11.closeSession(session);
      throw e;
    }
  }

  /**
   * Generates a P-256 key pair in the token, labelled {@code object=} of the URI (and with its
   * {@code id=}, or 8 random bytes, as CKA_ID): a token object, private, sensitive, never
   * extractable. Refuses when the token already holds a key of that label: nothing is overwritten.
   */
  public static Pkcs11Signer generate(String uriText, Map<String, String> env) {
    Pkcs11Uri uri = Pkcs11Uri.parse(uriText);
    if (uri.object() == null) {
      throw new SignerException("keygen in a PKCS#11 token needs object=LABEL in the URI (the new key's label): " + uri);
    }
    Cryptoki p11 = Cryptoki.load(uri.modulePath());
    Token t = findToken(p11, uri);
    char[] pin = uri.readPin(env);
    long session = login(p11, uri, t, pin);
    try {
      byte[] label = uri.object().getBytes(StandardCharsets.UTF_8);
      if (p11.find(session, new Object[] {Cryptoki.CKA_CLASS, Cryptoki.CKO_PRIVATE_KEY, Cryptoki.CKA_LABEL, label}).length > 0
          || p11.find(session, new Object[] {Cryptoki.CKA_CLASS, Cryptoki.CKO_PUBLIC_KEY, Cryptoki.CKA_LABEL, label}).length > 0) {
        throw new SignerException("token '" + t.label + "' already holds a key labelled '" + uri.object()
            + "': keygen never replaces a key (choose another object= label, or use the key that is there)");
      }
      byte[] id = uri.id();
      if (id == null) {
        id = new byte[8];
        new SecureRandom().nextBytes(id);
      }
      Object[] pub = {Cryptoki.CKA_CLASS, Cryptoki.CKO_PUBLIC_KEY, Cryptoki.CKA_KEY_TYPE, Cryptoki.CKK_EC, Cryptoki.CKA_TOKEN, true,
          Cryptoki.CKA_VERIFY, true, Cryptoki.CKA_EC_PARAMS, P256_PARAMS, Cryptoki.CKA_LABEL, label, Cryptoki.CKA_ID, id};
      Object[] priv = {Cryptoki.CKA_CLASS, Cryptoki.CKO_PRIVATE_KEY, Cryptoki.CKA_KEY_TYPE, Cryptoki.CKK_EC, Cryptoki.CKA_TOKEN, true,
          Cryptoki.CKA_PRIVATE, true, Cryptoki.CKA_SENSITIVE, true, Cryptoki.CKA_EXTRACTABLE, false, Cryptoki.CKA_SIGN, true,
          Cryptoki.CKA_LABEL, label, Cryptoki.CKA_ID, id};
      long[] pair;
      try {
        pair = p11.generateKeyPair(session, Cryptoki.CKM_EC_KEY_PAIR_GEN, pub, priv);
      } catch (Cryptoki.Failure f) {
        throw new SignerException("token '" + t.label + "' could not generate a P-256 key: " + f.getMessage());
      }
      byte[] point = compress(p11.bytes(session, pair[0], Cryptoki.CKA_EC_POINT), uri);
      Pkcs11Signer s = new Pkcs11Signer(p11, uri, t.slot, pin, session, pair[1], point, t.storage(uri));
      // The token's answer is checked once: a key that does not verify is no device identity.
      byte[] probe = "popw keygen self-check".getBytes(StandardCharsets.US_ASCII);
      byte[] sig = s.sign(probe);
      if (EcdsaScheme.P256.decodePublicKey(point).verify(probe, 0, probe.length, sig) != dev.popw.internal.crypto.SignatureCheck.VALID) {
        s.close();
        throw new SignerException("token '" + t.label + "' made a key whose signatures do not verify");
      }
      return s;
    } catch (Cryptoki.Failure f) {
      p11.closeSession(session);
      throw new SignerException("PKCS#11 token '" + t.label + "': " + f.getMessage());
    } catch (RuntimeException e) {
      p11.closeSession(session);
      throw e;
    }
  }

  @Override
  public KeyType keyType() {
    return KeyType.ECDSA_P256;
  }

  @Override
  public byte[] publicKey() {
    return publicKey.clone();
  }

  @Override
  public DeviceId deviceId() {
    return deviceId;
  }

  @Override
  public KeyStorage storage() {
    return storage;
  }

  @Override
  public synchronized byte[] sign(byte[] message) {
    if (closed) {
      throw new SignerException("signer for " + deviceId + " is closed");
    }
    byte[] digest = Sha256.hash(message);
    byte[] rs;
    try {
      rs = p11.sign(session, key, Cryptoki.CKM_ECDSA, digest);
    } catch (Cryptoki.Failure f) {
      if (f.code != CKR_SESSION_HANDLE_INVALID && f.code != CKR_SESSION_CLOSED && f.code != CKR_DEVICE_REMOVED
          && f.code != CKR_USER_NOT_LOGGED_IN) {
        throw new SignerException("PKCS#11 token refused to sign with " + uri.object() + ": " + f.getMessage());
      }
      // The token was reset or reconnected: a new session, logged in again, once.
      reopen();
      try {
        rs = p11.sign(session, key, Cryptoki.CKM_ECDSA, digest);
      } catch (Cryptoki.Failure again) {
        throw new SignerException("PKCS#11 token refused to sign after reconnecting: " + again.getMessage());
      }
    }
    return lowS(rs);
  }

  private void reopen() {
    p11.closeSession(session);
    Token t = findToken(p11, uri);
    session = login(p11, uri, t, pin);
    try {
      key = findOne(p11, session, uri, Cryptoki.CKO_PRIVATE_KEY, true);
    } catch (Cryptoki.Failure f) {
      throw new SignerException("PKCS#11 token: " + f.getMessage());
    }
  }

  /** r||s as the token returns it (two 32-byte halves), made low S. */
  private static byte[] lowS(byte[] rs) {
    try {
      return EcdsaScheme.P256.lowS(rs);
    } catch (IllegalArgumentException e) {
      throw new SignerException("PKCS#11 token returned a " + e.getMessage());
    }
  }


  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      p11.closeSession(session);
      Arrays.fill(pin, '\0');
    }
  }

  @Override
  public String toString() {
    return "Pkcs11Signer[" + storage + ", " + deviceId + "]";
  }

  // --- lookup ---

  private record Token(long slot, String label, String manufacturer, String model, String serial) {
    KeyStorage storage(Pkcs11Uri uri) {
      boolean tpm = uri.modulePath().getFileName().toString().contains("tpm2");
      return new KeyStorage(tpm ? KeyStorage.Kind.TPM : KeyStorage.Kind.PKCS11,
          "token '" + label + "'" + (tpm ? ", TPM " + manufacturer : ", " + manufacturer + " " + model).stripTrailing()
              + (serial.isEmpty() ? "" : ", serial " + serial));
    }
  }

  private static Token findToken(Cryptoki p11, Pkcs11Uri uri) {
    List<String> present = new ArrayList<>();
    try {
      for (long slot : p11.slots()) {
        String[] info = p11.tokenInfo(slot);
        present.add("'" + info[0] + "'");
        if ((uri.token() == null || uri.token().equals(info[0])) && (uri.serial() == null || uri.serial().equals(info[3]))
            && (uri.manufacturer() == null || uri.manufacturer().equals(info[1])) && (uri.model() == null || uri.model().equals(info[2]))
            && (uri.slotId() == null || uri.slotId() == slot)) {
          return new Token(slot, info[0], info[1], info[2], info[3]);
        }
      }
    } catch (Cryptoki.Failure f) {
      throw new SignerException("PKCS#11 module " + uri.modulePath() + " cannot list its tokens: " + f.getMessage());
    }
    throw new SignerException("no PKCS#11 token " + (uri.token() == null ? "matching " + uri : "labelled '" + uri.token() + "'") + " in "
        + uri.modulePath() + " (tokens present: " + (present.isEmpty() ? "none" : String.join(", ", present)) + ")");
  }

  private static long login(Cryptoki p11, Pkcs11Uri uri, Token t, char[] pin) {
    long session;
    try {
      session = p11.openSession(t.slot);
    } catch (Cryptoki.Failure f) {
      throw new SignerException("cannot open a session on PKCS#11 token '" + t.label + "': " + f.getMessage());
    }
    try {
      p11.login(session, pin);
      return session;
    } catch (Cryptoki.Failure f) {
      p11.closeSession(session);
      if (f.code == Cryptoki.CKR_PIN_INCORRECT || f.code == Cryptoki.CKR_PIN_LEN_RANGE) {
        throw new SignerException("wrong PIN for PKCS#11 token '" + t.label + "' (from " + uri.pinSource() + ")");
      }
      if (f.code == Cryptoki.CKR_PIN_LOCKED) {
        throw new SignerException("PKCS#11 token '" + t.label + "' is locked after too many wrong PINs: the security officer must unlock it");
      }
      if (f.code == Cryptoki.CKR_USER_PIN_NOT_INITIALIZED) {
        throw new SignerException("PKCS#11 token '" + t.label + "' has no user PIN yet: initialize it (softhsm2-util --init-token, tpm2_ptool addtoken)");
      }
      throw new SignerException("cannot log in to PKCS#11 token '" + t.label + "': " + f.getMessage());
    }
  }

  private static Object[] keyTemplate(Pkcs11Uri uri, long klass) {
    List<Object> t = new ArrayList<>(List.of(Cryptoki.CKA_CLASS, klass, Cryptoki.CKA_KEY_TYPE, Cryptoki.CKK_EC));
    if (uri.object() != null) {
      t.add(Cryptoki.CKA_LABEL);
      t.add(uri.object().getBytes(StandardCharsets.UTF_8));
    }
    if (uri.id() != null) {
      t.add(Cryptoki.CKA_ID);
      t.add(uri.id());
    }
    return t.toArray();
  }

  private static long findOne(Cryptoki p11, long session, Pkcs11Uri uri, long klass, boolean required) throws Cryptoki.Failure {
    long[] found = p11.find(session, keyTemplate(uri, klass));
    String what = (uri.object() != null ? "labelled '" + uri.object() + "'" : "with that id") + " in token '" + uri.token() + "'";
    if (found.length == 0) {
      if (!required) {
        return -1;
      }
      throw new SignerException("no EC private key " + what + " (make one with: popw-agent keygen --signer '" + uri + "')");
    }
    if (found.length > 1) {
      throw new SignerException(found.length + " EC " + (klass == Cryptoki.CKO_PRIVATE_KEY ? "private" : "public") + " keys " + what
          + ": name one with id= as well");
    }
    return found[0];
  }

  private static byte[] publicKeyOf(Cryptoki p11, long session, Pkcs11Uri uri) {
    try {
      long pub = findOne(p11, session, uri, Cryptoki.CKO_PUBLIC_KEY, false);
      if (pub < 0) {
        throw new SignerException("the token holds the private key but no public key object with the same label/id; the device id"
            + " is derived from it");
      }
      byte[] params = p11.bytes(session, pub, Cryptoki.CKA_EC_PARAMS);
      if (!Arrays.equals(params, P256_PARAMS)) {
        throw new SignerException("the key in the token is not on P-256 (prime256v1), the only ECDSA curve tokens and envelopes share");
      }
      return compress(p11.bytes(session, pub, Cryptoki.CKA_EC_POINT), uri);
    } catch (Cryptoki.Failure f) {
      throw new SignerException("cannot read the public key from the token: " + f.getMessage());
    }
  }

  /** CKA_EC_POINT (a DER OCTET STRING of the SEC1 point, or the bare point) → the 33-byte compressed key. */
  private static byte[] compress(byte[] ecPoint, Pkcs11Uri uri) {
    byte[] point = ecPoint;
    if (point != null && point.length == 67 && point[0] == 0x04 && point[1] == 0x41) {
      point = Arrays.copyOfRange(point, 2, point.length);
    }
    EcdsaScheme.Key k = point == null ? null : EcdsaScheme.P256.decodeAnyPublicKey(point);
    if (k == null) {
      throw new SignerException("the token's public key is not a valid P-256 point");
    }
    return k.point().getEncoded(true);
  }
}
