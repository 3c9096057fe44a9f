package dev.popw.coordinator.cli;

import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.MqttTlsSettings;
import dev.popw.coordinator.pki.DeviceCertificateAuthority;
import dev.popw.coordinator.pki.MosquittoBundle;
import dev.popw.transport.mqtt.Topics;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code popw-coordinator mosquitto-config DIR}: the files an external Mosquitto needs (docs/mosquitto.md). */
@Command(name = "mosquitto-config", mixinStandardHelpOptions = true,
    description = {"Write what a Mosquitto 2.0 broker needs to enforce PoPW's topic rules with per-device client certificates:"
        + " ca.crt (the coordinator's device CA), server.crt and server.key (the broker), coordinator.crt and coordinator.key"
        + " (the coordinator's own MQTT client, named mqtt.client_id), acl and mosquitto.conf. Devices get their certificates"
        + " from GET /v1/devices/{id}/certificate ('popw-agent register' fetches it).",
        "Uses the device CA of the settings ([mqtt.tls], by default in data_dir), creating it if there is none yet: run it"
            + " with the coordinator's settings. Never overwrites a file. See docs/mosquitto.md."})
final class MosquittoConfig implements Callable<Integer> {
  @CommandLine.Mixin CoordinatorCli.SettingsOptions settings = new CoordinatorCli.SettingsOptions();

  @Parameters(paramLabel = "DIR", description = "New directory to write the files into.")
  Path dir;

  @Option(names = "--host", paramLabel = "NAME", split = ",",
      description = "Host name or IP address devices and the coordinator use to reach the broker, for its certificate;"
          + " repeatable. Default: localhost,127.0.0.1")
  List<String> hosts;

  @Option(names = "--port", defaultValue = "8883", paramLabel = "PORT", description = "The TLS listener's port. Default: ${DEFAULT-VALUE}")
  int port;

  @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address the listener binds to. Default: every interface.")
  String bind;

  @Option(names = "--install-dir", paramLabel = "PATH",
      description = "Where the broker will read the files, when you copy them elsewhere (e.g. /etc/mosquitto/popw). Default: DIR")
  Path installDir;

  @Override
  public Integer call() throws IOException {
    CoordinatorSettings s = settings.load();
    MqttTlsSettings t = s.mqttTls();
    MosquittoBundle.checkCoordinatorName(s.mqttClientId());
    DeviceCertificateAuthority ca = DeviceCertificateAuthority.loadOrCreate(t.deviceCaKey(s.dataDirectory()),
        t.deviceCaCert(s.dataDirectory()), s.networkId(), t.deviceCertificateValidity(), Clock.systemUTC());
    List<String> names = hosts == null || hosts.isEmpty() ? List.of("localhost", "127.0.0.1") : hosts;
    Path install = (installDir != null ? installDir : dir).toAbsolutePath();
    MosquittoBundle.write(ca, dir, new MosquittoBundle.Options(install, s.mqttClientId(), names, port, bind, Topics.PREFIX));
    String host = names.get(0);
    System.out.printf("wrote %s to %s (device CA %s)%n", String.join(", ", MosquittoBundle.FILES), dir.toAbsolutePath(),
        t.deviceCaCert(s.dataDirectory()));
    System.out.printf("%nbroker: copy mosquitto.conf into /etc/mosquitto/conf.d/ (it reads the other files from %s), make"
        + " server.key readable by the broker (chown mosquitto %s), restart mosquitto.%n", install, install.resolve("server.key"));
    System.out.printf("%ncoordinator: put this in its settings file (client id %s is the name the acl grants):%n%n[mqtt]%n"
        + "url = \"ssl://%s:%d\"%nclient_id = \"%s\"%n%n[mqtt.tls]%nca_file = \"%s\"%ncert_file = \"%s\"%nkey_file = \"%s\"%n",
        s.mqttClientId(), host, port, s.mqttClientId(), install.resolve("ca.crt"), install.resolve("coordinator.crt"),
        install.resolve("coordinator.key"));
    System.out.printf("%ndevices: transport.url = \"ssl://%s:%d\" and transport.ca_file = a copy of ca.crt; 'popw-agent register'"
        + " stores the device's certificate (Ed25519 and P-256 keys; secp256k1 keys cannot do TLS).%n", host, port);
    return 0;
  }
}
