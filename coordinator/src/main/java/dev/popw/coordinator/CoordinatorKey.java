package dev.popw.coordinator;

import dev.popw.identity.KeyFileException;
import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The coordinator's long-lived Ed25519 key, which signs everything it tells devices (receipts).
 * Loaded from its file (PKCS#8 PEM, mode 0600), or generated there on first start. Separate from
 * the chain account key: a device pins this key, and the chain account may be rotated or absent.
 */
public final class CoordinatorKey {
  private CoordinatorKey() {}

  /**
   * @throws SettingsException if the file is unreadable, too open, not Ed25519, or cannot be created
   */
  public static SoftwareSigner loadOrCreate(Path file) {
    try {
      if (Files.exists(file)) {
        SoftwareSigner s = KeyFiles.load(file);
        if (s.keyType() != KeyType.ED25519) {
          throw new SettingsException("coordinator_key_file " + file + " holds a " + s.keyType().label()
              + " key; the coordinator signs receipts with Ed25519");
        }
        return s;
      }
      Path dir = file.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      return KeyFiles.generate(KeyType.ED25519, file);
    } catch (KeyFileException e) {
      throw new SettingsException("coordinator key: " + e.getMessage());
    } catch (IOException e) {
      throw new SettingsException("cannot create the directory of coordinator key " + file + ": " + e.getMessage());
    }
  }
}
