package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The [mqtt.tls] settings. */
class MqttTlsSettingsTest {
  @TempDir Path dir;

  @Test
  void defaults_put_the_device_ca_into_the_data_directory() {
    CoordinatorSettings s = SettingsLoader.load(null, Map.of("POPW_DATA_DIR", "/var/lib/popw"));
    MqttTlsSettings t = s.mqttTls();
    assertEquals(Path.of("/var/lib/popw/device-ca.key"), t.deviceCaKey(s.dataDirectory()));
    assertEquals(Path.of("/var/lib/popw/device-ca.crt"), t.deviceCaCert(s.dataDirectory()));
    assertEquals(Duration.ofDays(3650), t.deviceCertificateValidity());
    assertNull(t.caFile());
    assertNull(t.certFile());
  }

  @Test
  void reads_the_section_and_the_environment() throws Exception {
    Path f = dir.resolve("c.toml");
    Files.writeString(f, "[mqtt]\nurl = \"ssl://broker:8883\"\n[mqtt.tls]\nca_file = \"/b/ca.crt\"\ncert_file = \"/b/coordinator.crt\"\n"
        + "key_file = \"/b/coordinator.key\"\ndevice_ca_key_file = \"/ca/k\"\ndevice_certificate_days = 90\n");
    MqttTlsSettings t = SettingsLoader.load(f, Map.of("POPW_MQTT_TLS_DEVICE_CA_CERT_FILE", "/ca/c")).mqttTls();
    assertEquals(new MqttTlsSettings(Path.of("/b/ca.crt"), Path.of("/b/coordinator.crt"), Path.of("/b/coordinator.key"), Path.of("/ca/k"),
        Path.of("/ca/c"), 90), t);
  }

  @Test
  void mistakes_are_named() {
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(null, Map.of("POPW_MQTT_URL", "ssl://b:8883",
        "POPW_MQTT_TLS_CERT_FILE", "/b/c.crt"))).getMessage().contains("go together"));
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(null, Map.of("POPW_MQTT_URL", "tcp://b:1883",
        "POPW_MQTT_TLS_CA_FILE", "/b/ca.crt"))).getMessage().contains("ssl://"));
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(null, Map.of("POPW_MQTT_TLS_DEVICE_CERTIFICATE_DAYS", "0")))
        .getMessage().contains("device_certificate_days"));
  }

  @Test
  void a_missing_client_certificate_stops_the_start_in_one_line() {
    CoordinatorSettings s = CoordinatorSettings.defaults().withDataDirectory(dir.resolve("data")).withMqtt("ssl://127.0.0.1:1")
        .withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(-1).toBuilder()
        .mqttTls(MqttTlsSettings.defaults().withClientCertificate(null, dir.resolve("none.crt"), dir.resolve("none.key"))).build();
    SettingsException e = assertThrows(SettingsException.class, () -> Coordinator.start(s).close());
    assertTrue(e.getMessage().startsWith("mqtt.tls: ") && e.getMessage().contains("none.crt"), e.getMessage());
  }
}
