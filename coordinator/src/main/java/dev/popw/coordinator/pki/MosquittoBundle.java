package dev.popw.coordinator.pki;

import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * The files a Mosquitto 2.0 broker needs to enforce the coordinator's topic rules with per-device
 * client certificates (docs/mosquitto.md):
 *
 * <ul>
 *   <li>{@code ca.crt}: the device CA, which the broker trusts for clients and devices trust for the broker;
 *   <li>{@code server.crt}, {@code server.key}: the broker's certificate, for the host names devices use;
 *   <li>{@code coordinator.crt}, {@code coordinator.key}: the coordinator's own MQTT client;
 *   <li>{@code acl}: a device may publish only on its telemetry topic and read only its receipts
 *       and challenges; the coordinator reads and writes the whole prefix;
 *   <li>{@code mosquitto.conf}: a TLS listener requiring a client certificate, whose subject CN (the
 *       device id) becomes username and client id.
 * </ul>
 */
public final class MosquittoBundle {
  /** The files, in the order they are written. */
  public static final List<String> FILES =
      List.of("ca.crt", "server.crt", "server.key", "coordinator.crt", "coordinator.key", "acl", "mosquitto.conf");

  private MosquittoBundle() {}

  /**
   * The options of a bundle.
   *
   * @param installDir where the broker will read the files (the paths in mosquitto.conf); usually
   *     the directory they are written to
   * @param coordinatorName the coordinator's MQTT username and client id: its certificate's CN and
   *     the ACL's {@code user}; the coordinator's {@code mqtt.client_id}
   * @param hosts the broker's host names or IP addresses, as devices dial them
   * @param port the TLS listener's port
   * @param bindAddress the listener's address; null: every interface
   * @param prefix the topic prefix ({@code popw/v1/devices})
   */
  public record Options(Path installDir, String coordinatorName, List<String> hosts, int port, String bindAddress, String prefix) {}

  /**
   * Checks the coordinator's MQTT name: it becomes a broker username with rights over every
   * device's topics, so it must not look like a device id (which every device certificate's CN is).
   *
   * @throws PkiException naming the problem
   */
  public static void checkCoordinatorName(String name) {
    if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new PkiException("mqtt.client_id '" + name + "' cannot be the coordinator's broker username: use 1 to 64 letters,"
          + " digits, '.', '_' or '-'", false);
    }
  }

  /**
   * Writes the bundle into {@code dir}, which must not hold any of its files (keys are never overwritten).
   *
   * @return the files written
   * @throws PkiException if a file exists or the options are wrong
   */
  public static List<Path> write(DeviceCertificateAuthority ca, Path dir, Options o) throws IOException {
    checkCoordinatorName(o.coordinatorName());
    if (o.hosts().isEmpty()) {
      throw new PkiException("the broker needs at least one host name for its certificate (--host)", false);
    }
    if (o.port() < 1 || o.port() > 65_535) {
      throw new PkiException("the listener port must be between 1 and 65535, got " + o.port(), false);
    }
    List<Path> files = new ArrayList<>();
    for (String f : FILES) {
      Path p = dir.resolve(f);
      if (Files.exists(p)) {
        throw new PkiException(p + " already exists; write the bundle into a new directory (its keys are never overwritten)", false);
      }
      files.add(p);
    }
    Files.createDirectories(dir);
    DeviceCertificateAuthority.writeAtomically(dir.resolve("ca.crt"), DeviceCertificateAuthority.pem(ca.certificate()));
    SecureRandom random = new SecureRandom();
    try (SoftwareSigner server = SoftwareSigner.generate(KeyType.ECDSA_P256, random);
        SoftwareSigner client = SoftwareSigner.generate(KeyType.ECDSA_P256, random)) {
      DeviceCertificateAuthority.writeAtomically(dir.resolve("server.crt"), DeviceCertificateAuthority.pem(
          ca.issueServer(o.hosts(), KeyType.ECDSA_P256, server.publicKey()), ca.certificate()));
      KeyFiles.write(server, dir.resolve("server.key"));
      DeviceCertificateAuthority.writeAtomically(dir.resolve("coordinator.crt"), DeviceCertificateAuthority.pem(
          ca.issueClient(o.coordinatorName(), KeyType.ECDSA_P256, client.publicKey()), ca.certificate()));
      KeyFiles.write(client, dir.resolve("coordinator.key"));
    }
    DeviceCertificateAuthority.writeAtomically(dir.resolve("acl"), acl(o.prefix(), o.coordinatorName()));
    DeviceCertificateAuthority.writeAtomically(dir.resolve("mosquitto.conf"), conf(o));
    return files;
  }

  /**
   * The ACL: Mosquitto replaces {@code %u} with the client's username, which is its certificate's
   * CN, the device id. Everything not granted is refused: another device's topics, {@code #},
   * {@code $SYS}.
   */
  public static String acl(String prefix, String coordinatorName) {
    return String.join("\n",
        "# PoPW Edge topic rules (written by popw-coordinator mosquitto-config; docs/mosquitto.md).",
        "# %u is the username, which use_identity_as_username makes the client certificate's CN: for a",
        "# device, its device id (did:key:z...). Nothing else is granted: not another device's topics,",
        "# not '#', not $SYS.",
        "pattern write " + prefix + "/%u/telemetry",
        "pattern read " + prefix + "/%u/receipts",
        "# Reserved for coordinator challenges to a device.",
        "pattern read " + prefix + "/%u/challenges",
        "",
        "# The coordinator: every device's telemetry, receipts and challenges.",
        "user " + coordinatorName,
        "topic readwrite " + prefix + "/#",
        "");
  }

  /** The mosquitto.conf for the bundle. */
  public static String conf(Options o) {
    Path d = o.installDir().toAbsolutePath();
    return String.join("\n",
        "# PoPW Edge: a TLS listener on which every client authenticates with a certificate from the",
        "# coordinator's device CA (written by popw-coordinator mosquitto-config; docs/mosquitto.md).",
        "# On Debian, put this file into /etc/mosquitto/conf.d/. It assumes per_listener_settings false",
        "# (the default): allow_anonymous and acl_file then hold for every listener of the broker.",
        "allow_anonymous false",
        "acl_file " + d.resolve("acl"),
        "",
        "listener " + o.port() + (o.bindAddress() == null ? "" : " " + o.bindAddress()),
        "cafile " + d.resolve("ca.crt"),
        "certfile " + d.resolve("server.crt"),
        "keyfile " + d.resolve("server.key"),
        "# A client without a certificate of this CA is refused in the TLS handshake.",
        "require_certificate true",
        "# The certificate's subject CN (a device's id) is the username the ACL matches...",
        "use_identity_as_username true",
        "# ...and the client id, so that no client can take over another's session.",
        "use_username_as_clientid true",
        "");
  }
}
