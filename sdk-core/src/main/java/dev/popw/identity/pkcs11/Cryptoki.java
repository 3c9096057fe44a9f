package dev.popw.identity.pkcs11;

import dev.popw.identity.SignerException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The few PKCS#11 (Cryptoki) calls a device signer needs, through the JDK's own SunPKCS11 binding
 * ({@code sun.security.pkcs11.wrapper} in module {@code jdk.crypto.cryptoki}): no native code and no
 * dependency of ours. That package is not exported, so the JVM must run with
 * {@code --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED} (the agent's jar
 * says so in its manifest); it is reached by reflection so that the build can keep {@code --release 17}.
 *
 * <p>SunPKCS11's public API (a {@code KeyStore}) only shows private keys that have a certificate and
 * makes session keys, not token keys; a device key is a bare key pair made in the token, so this
 * uses the binding the provider itself is built on.
 */
final class Cryptoki {
  static final long CKF_RW_SESSION = 0x2;
  static final long CKF_SERIAL_SESSION = 0x4;
  static final long CKF_OS_LOCKING_OK = 0x2;
  static final long CKU_USER = 1;
  static final long CKO_PUBLIC_KEY = 2;
  static final long CKO_PRIVATE_KEY = 3;
  static final long CKK_EC = 3;
  static final long CKA_CLASS = 0x0;
  static final long CKA_TOKEN = 0x1;
  static final long CKA_PRIVATE = 0x2;
  static final long CKA_LABEL = 0x3;
  static final long CKA_VALUE = 0x11;
  static final long CKA_KEY_TYPE = 0x100;
  static final long CKA_ID = 0x102;
  static final long CKA_SENSITIVE = 0x103;
  static final long CKA_SIGN = 0x108;
  static final long CKA_VERIFY = 0x10A;
  static final long CKA_EXTRACTABLE = 0x162;
  static final long CKA_EC_PARAMS = 0x180;
  static final long CKA_EC_POINT = 0x181;
  static final long CKM_EC_KEY_PAIR_GEN = 0x1040;
  static final long CKM_ECDSA = 0x1041;
  static final long CKR_ATTRIBUTE_SENSITIVE = 0x11;
  static final long CKR_PIN_INCORRECT = 0xA0;
  static final long CKR_PIN_LEN_RANGE = 0xA2;
  static final long CKR_PIN_LOCKED = 0xA4;
  static final long CKR_USER_ALREADY_LOGGED_IN = 0x100;
  static final long CKR_USER_PIN_NOT_INITIALIZED = 0x102;

  static final String ADD_EXPORTS = "--add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED";
  private static final String PKG = "sun.security.pkcs11.wrapper.";

  private static volatile Binding binding;

  /** A Cryptoki error, with its CKR_ code. */
  static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;
    final long code;

    Failure(long code, String message) {
      super(message);
      this.code = code;
    }
  }

  private final Object p11;

  private Cryptoki(Object p11) {
    this.p11 = p11;
  }

  /** Loads (once per JVM and module, as SunPKCS11 does) and initializes the module at {@code path}. */
  static Cryptoki load(Path module) {
    if (!Files.isRegularFile(module)) {
      throw new SignerException("PKCS#11 module " + module + " not found (module-path in the signer URI; Debian: softhsm2 installs"
          + " /usr/lib/softhsm/libsofthsm2.so, libtpm2-pkcs11-1 installs /usr/lib/<arch>/libtpm2_pkcs11.so.1)");
    }
    Binding b = binding();
    try {
      Object args = b.initArgs.newInstance();
      b.initArgs.getDeclaringClass().getField("flags").setLong(args, CKF_OS_LOCKING_OK);
      return new Cryptoki(b.getInstance.invoke(null, module.toString(), "C_GetFunctionList", args, false));
    } catch (InvocationTargetException e) {
      Throwable c = e.getCause();
      throw new SignerException("cannot load PKCS#11 module " + module + ": " + (c.getMessage() == null ? c.toString() : c.getMessage()), c);
    } catch (ReflectiveOperationException e) {
      throw unavailable(e);
    }
  }

  long[] slots() throws Failure {
    return (long[]) call(binding.getSlotList, true);
  }

  /** label, manufacturer, model, serial of the token in a slot, trimmed. */
  String[] tokenInfo(long slot) throws Failure {
    Object info = call(binding.getTokenInfo, slot);
    try {
      Class<?> c = info.getClass();
      return new String[] {chars(c.getField("label").get(info)), chars(c.getField("manufacturerID").get(info)),
          chars(c.getField("model").get(info)), chars(c.getField("serialNumber").get(info))};
    } catch (ReflectiveOperationException e) {
      throw unavailable(e);
    }
  }

  long openSession(long slot) throws Failure {
    return (Long) call(binding.openSession, slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
  }

  void closeSession(long session) {
    try {
      call(binding.closeSession, session);
    } catch (Failure ignored) {
      // closing: nothing to do about it
    }
  }

  void login(long session, char[] pin) throws Failure {
    try {
      call(binding.login, session, CKU_USER, pin);
    } catch (Failure f) {
      if (f.code != CKR_USER_ALREADY_LOGGED_IN) {
        throw f;
      }
    }
  }

  long[] find(long session, Object[] template) throws Failure {
    call(binding.findInit, session, attributes(template));
    try {
      return (long[]) call(binding.find, session, 16L);
    } finally {
      call(binding.findFinal, session);
    }
  }

  byte[] bytes(long session, long object, long type) throws Failure {
    Object[] a = attributes(new Object[] {type, null});
    call(binding.getAttributeValue, session, object, a);
    return (byte[]) invokeOn(binding.getByteArray, a[0]);
  }

  boolean bool(long session, long object, long type) throws Failure {
    Object[] a = attributes(new Object[] {type, null});
    call(binding.getAttributeValue, session, object, a);
    return (Boolean) invokeOn(binding.getBoolean, a[0]);
  }

  long[] generateKeyPair(long session, long mechanism, Object[] publicTemplate, Object[] privateTemplate) throws Failure {
    return (long[]) call(binding.generateKeyPair, session, mechanism(mechanism), attributes(publicTemplate), attributes(privateTemplate));
  }

  byte[] sign(long session, long key, long mechanism, byte[] data) throws Failure {
    call(binding.signInit, session, mechanism(mechanism), key);
    return (byte[]) call(binding.sign, session, data);
  }

  /** Attributes from (type, value) pairs: value Boolean, Long, byte[] or null (to read). */
  private static Object[] attributes(Object[] pairs) {
    Binding b = binding();
    Object[] out = (Object[]) java.lang.reflect.Array.newInstance(b.attribute, pairs.length / 2);
    try {
      for (int i = 0; i < out.length; i++) {
        long type = (Long) pairs[2 * i];
        Object v = pairs[2 * i + 1];
        if (v == null) {
          out[i] = b.attrType.newInstance(type);
        } else if (v instanceof Boolean) {
          out[i] = b.attrBool.newInstance(type, v);
        } else if (v instanceof Long) {
          out[i] = b.attrLong.newInstance(type, v);
        } else {
          out[i] = b.attrObject.newInstance(type, v);
        }
      }
    } catch (ReflectiveOperationException e) {
      throw unavailable(e);
    }
    return out;
  }

  private static Object mechanism(long m) {
    try {
      return binding().mechanism.newInstance(m);
    } catch (ReflectiveOperationException e) {
      throw unavailable(e);
    }
  }

  private Object call(Method m, Object... args) throws Failure {
    try {
      return m.invoke(p11, args);
    } catch (InvocationTargetException e) {
      Throwable c = e.getCause();
      if (c != null && c.getClass().getName().equals(PKG + "PKCS11Exception")) {
        long code;
        try {
          code = (Long) c.getClass().getMethod("getErrorCode").invoke(c);
        } catch (ReflectiveOperationException x) {
          code = -1;
        }
        throw new Failure(code, c.getMessage());
      }
      if (c instanceof RuntimeException) {
        throw (RuntimeException) c;
      }
      throw new SignerException("PKCS#11 call " + m.getName() + " failed: " + c, c);
    } catch (IllegalAccessException e) {
      throw unavailable(e);
    }
  }

  private static Object invokeOn(Method m, Object target) {
    try {
      return m.invoke(target);
    } catch (ReflectiveOperationException e) {
      throw unavailable(e);
    }
  }

  private static String chars(Object o) {
    return o == null ? "" : new String((char[]) o).strip();
  }

  private static SignerException unavailable(Exception e) {
    return new SignerException("PKCS#11 signers need the JDK's SunPKCS11 binding: run java with " + ADD_EXPORTS
        + " (the popw-agent jar sets it itself)", e);
  }

  private static Binding binding() {
    Binding b = binding;
    if (b == null) {
      synchronized (Cryptoki.class) {
        if (binding == null) {
          try {
            binding = new Binding();
          } catch (ReflectiveOperationException | RuntimeException e) {
            throw unavailable(e instanceof Exception ? (Exception) e : new RuntimeException(e));
          }
        }
        b = binding;
      }
    }
    return b;
  }

  /** The reflective handles, looked up once. */
  private static final class Binding {
    final Class<?> attribute;
    final Constructor<?> attrType;
    final Constructor<?> attrBool;
    final Constructor<?> attrLong;
    final Constructor<?> attrObject;
    final Constructor<?> mechanism;
    final Constructor<?> initArgs;
    final Method getInstance;
    final Method getSlotList;
    final Method getTokenInfo;
    final Method openSession;
    final Method closeSession;
    final Method login;
    final Method findInit;
    final Method find;
    final Method findFinal;
    final Method getAttributeValue;
    final Method generateKeyPair;
    final Method signInit;
    final Method sign;
    final Method getByteArray;
    final Method getBoolean;

    Binding() throws ReflectiveOperationException {
      Class<?> p11 = Class.forName(PKG + "PKCS11");
      attribute = Class.forName(PKG + "CK_ATTRIBUTE");
      Class<?> attrs = java.lang.reflect.Array.newInstance(attribute, 0).getClass();
      Class<?> mech = Class.forName(PKG + "CK_MECHANISM");
      Class<?> init = Class.forName(PKG + "CK_C_INITIALIZE_ARGS");
      attrType = attribute.getConstructor(long.class);
      attrBool = attribute.getConstructor(long.class, boolean.class);
      attrLong = attribute.getConstructor(long.class, long.class);
      attrObject = attribute.getConstructor(long.class, Object.class);
      mechanism = mech.getConstructor(long.class);
      initArgs = init.getConstructor();
      getInstance = p11.getMethod("getInstance", String.class, String.class, init, boolean.class);
      getSlotList = p11.getMethod("C_GetSlotList", boolean.class);
      getTokenInfo = p11.getMethod("C_GetTokenInfo", long.class);
      openSession = p11.getMethod("C_OpenSession", long.class, long.class, Object.class, Class.forName(PKG + "CK_NOTIFY"));
      closeSession = p11.getMethod("C_CloseSession", long.class);
      login = p11.getMethod("C_Login", long.class, long.class, char[].class);
      findInit = p11.getMethod("C_FindObjectsInit", long.class, attrs);
      find = p11.getMethod("C_FindObjects", long.class, long.class);
      findFinal = p11.getMethod("C_FindObjectsFinal", long.class);
      getAttributeValue = p11.getMethod("C_GetAttributeValue", long.class, long.class, attrs);
      generateKeyPair = p11.getMethod("C_GenerateKeyPair", long.class, mech, attrs, attrs);
      signInit = p11.getMethod("C_SignInit", long.class, mech, long.class);
      sign = p11.getMethod("C_Sign", long.class, byte[].class);
      getByteArray = attribute.getMethod("getByteArray");
      getBoolean = attribute.getMethod("getBoolean");
      // Fails here, with the flag to add, when the package is not exported to us.
      attrType.newInstance(CKA_CLASS);
    }
  }
}
