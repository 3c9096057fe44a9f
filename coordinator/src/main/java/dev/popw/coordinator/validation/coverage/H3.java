package dev.popw.coordinator.validation.coverage;

import com.uber.h3core.H3Core;
import java.io.IOException;

/**
 * Uber's H3 (com.uber:h3, native code for linux x86-64 and arm64 inside the jar), loaded once.
 * Its functions are thread-safe.
 */
public final class H3 {
  private static volatile H3Core core;

  private H3() {}

  /**
   * @throws IllegalStateException with the cause when the native library cannot be loaded (an
   *     unsupported platform, or no writable temporary directory to unpack it to)
   */
  public static H3Core get() {
    H3Core c = core;
    if (c == null) {
      synchronized (H3.class) {
        c = core;
        if (c == null) {
          try {
            c = H3Core.newInstance();
          } catch (IOException | UnsatisfiedLinkError | RuntimeException e) {
            throw new IllegalStateException("the H3 native library (com.uber:h3) cannot be loaded on " + System.getProperty("os.name")
                + "/" + System.getProperty("os.arch") + ": " + e.getMessage(), e);
          }
          core = c;
        }
      }
    }
    return c;
  }
}
