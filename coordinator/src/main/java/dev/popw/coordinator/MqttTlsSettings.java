package dev.popw.coordinator;

import java.nio.file.Path;
import java.time.Duration;

/**
 * TLS towards an external broker, and the device CA that issues devices' MQTT client certificates
 * (settings section {@code [mqtt.tls]}; docs/mosquitto.md).
 *
 * @param caFile PEM of the CAs that sign the broker's certificate, for an {@code ssl://} {@code
 *     mqtt.url}; null: the JVM's trust store
 * @param certFile the coordinator's own MQTT client certificate (PEM); null: none
 * @param keyFile the key of {@code certFile} (PKCS#8 PEM); null: none
 * @param deviceCaKeyFile the device CA's P-256 key; null: {@code device-ca.key} in the data directory
 * @param deviceCaCertFile the device CA's certificate; null: {@code device-ca.crt} in the data directory
 * @param deviceCertificateDays validity of the certificates the device CA issues
 */
public record MqttTlsSettings(Path caFile, Path certFile, Path keyFile, Path deviceCaKeyFile, Path deviceCaCertFile,
    int deviceCertificateDays) {

  /** No TLS settings; the device CA in the data directory; certificates valid for 10 years. */
  public static MqttTlsSettings defaults() {
    return new MqttTlsSettings(null, null, null, null, null, 3650);
  }

  /** The device CA's key file, resolved against the data directory. */
  public Path deviceCaKey(Path dataDirectory) {
    return deviceCaKeyFile != null ? deviceCaKeyFile : dataDirectory.resolve("device-ca.key");
  }

  /** The device CA's certificate file, resolved against the data directory. */
  public Path deviceCaCert(Path dataDirectory) {
    return deviceCaCertFile != null ? deviceCaCertFile : dataDirectory.resolve("device-ca.crt");
  }

  public Duration deviceCertificateValidity() {
    return Duration.ofDays(deviceCertificateDays);
  }

  /** True when the coordinator connects to its broker with TLS settings of its own (a CA or a client certificate). */
  public boolean configured() {
    return caFile != null || certFile != null;
  }

  public MqttTlsSettings withClientCertificate(Path ca, Path cert, Path key) {
    return new MqttTlsSettings(ca, cert, key, deviceCaKeyFile, deviceCaCertFile, deviceCertificateDays);
  }
}
