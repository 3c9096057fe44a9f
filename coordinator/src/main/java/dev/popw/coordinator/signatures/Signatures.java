package dev.popw.coordinator.signatures;

import java.util.Locale;

/**
 * Chooses the coordinator's signature path: the native engine where it loads, Bouncy Castle
 * otherwise. Set with the system property {@value #PROPERTY} ({@code java -Dpopw.signatures=...}):
 * {@code auto} (default), {@code native} (refuse to start without it) or {@code bouncycastle}.
 */
public final class Signatures {
  public static final String PROPERTY = "popw.signatures";

  private static volatile NativeSignatureEngine.Loaded loaded;

  private Signatures() {}

  /** How to choose. */
  public enum Mode {
    AUTO, NATIVE, BOUNCY_CASTLE;

    /** Parses auto, native or bouncycastle (any case). */
    public static Mode parse(String s) {
      return switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "auto", "" -> AUTO;
        case "native" -> NATIVE;
        case "bouncycastle", "bouncy-castle", "bc" -> BOUNCY_CASTLE;
        default -> throw new IllegalArgumentException(PROPERTY + " is '" + s + "'; it must be auto, native or bouncycastle");
      };
    }

    /** The mode the system property asks for; AUTO when it is not set. */
    public static Mode configured() {
      String v = System.getProperty(PROPERTY);
      return v == null ? AUTO : parse(v);
    }
  }

  /**
   * The choice: the engine (null for Bouncy Castle) and the one line that says which is in use and,
   * when it is Bouncy Castle under {@code auto}, why.
   */
  public record Selection(NativeSignatureEngine engine, String description) {
    /** "native" or "bouncycastle", for metrics and health. */
    public String path() {
      return engine == null ? "bouncycastle" : "native";
    }
  }

  /**
   * Chooses for this mode. The native library is loaded once per process.
   *
   * @throws IllegalStateException in mode NATIVE when it is not usable (one line, why)
   */
  public static Selection select(Mode mode) {
    if (mode == Mode.BOUNCY_CASTLE) {
      return new Selection(null, "signature verification: Bouncy Castle (" + PROPERTY + " = bouncycastle)");
    }
    NativeSignatureEngine.Loaded l = loaded;
    if (l == null) {
      synchronized (Signatures.class) {
        l = loaded;
        if (l == null) {
          l = NativeSignatureEngine.load();
          loaded = l;
        }
      }
    }
    if (l.engine() == null) {
      if (mode == Mode.NATIVE) {
        throw new IllegalStateException(PROPERTY + " = native, but " + l.problem());
      }
      return new Selection(null, "signature verification: Bouncy Castle (native path unavailable: " + l.problem() + ")");
    }
    String types = l.engine().keyTypes().size() == dev.popw.identity.KeyType.values().length ? ""
        : " for " + l.engine().keyTypes() + ", Bouncy Castle for the rest (" + l.problem() + ")";
    return new Selection(l.engine(), "signature verification: native, " + l.engine().name() + types
        + "; Bouncy Castle decides what it refuses");
  }
}
