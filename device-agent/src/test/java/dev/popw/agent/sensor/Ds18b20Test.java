package dev.popw.agent.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.proto.v1.Telemetry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The w1_therm sysfs parser on fixture files (src/test/resources/w1), including CRC failures. */
class Ds18b20Test {
  static final Path W1 = Path.of("src/test/resources/w1");

  @Test
  void reads_every_thermometer_and_ignores_other_1wire_families() throws IOException {
    List<Path> sensors = Ds18b20.sensors(W1.resolve("good"));
    assertEquals(2, sensors.size(), "the 00- device is not a DS18B20");
    assertEquals(new Ds18b20.Reading("28-0316a2791cff", 23.125), Ds18b20.read(sensors.get(0)));
    assertEquals(new Ds18b20.Reading("28-0416b3801aee", -10.125), Ds18b20.read(sensors.get(1)), "negative temperatures");
  }

  @Test
  void the_crc_checksum_is_the_dallas_one() {
    byte[] example = {0x72, 0x01, 0x4b, 0x46, 0x7f, (byte) 0xff, 0x0e, 0x10};
    assertEquals(0x57, Ds18b20.crc8(example, 8), "the kernel documentation's example scratchpad");
  }

  @Test
  void crc_failures_power_on_values_and_malformed_files_are_refused_with_the_sensor_named() {
    IOException no = assertThrows(IOException.class, () -> Ds18b20.read(W1.resolve("crcfail/28-000000000001")));
    assertTrue(no.getMessage().contains("28-000000000001") && no.getMessage().contains("CRC"), no.getMessage());
    IOException mismatch = assertThrows(IOException.class, () -> Ds18b20.read(W1.resolve("crcmismatch/28-000000000002")));
    assertTrue(mismatch.getMessage().contains("CRC mismatch"), mismatch.getMessage());
    IOException power = assertThrows(IOException.class, () -> Ds18b20.read(W1.resolve("poweron/28-000000000003")));
    assertTrue(power.getMessage().contains("85.000"), power.getMessage());
    IOException bad = assertThrows(IOException.class, () -> Ds18b20.read(W1.resolve("malformed/28-000000000004")));
    assertTrue(bad.getMessage().contains("28-000000000004"), bad.getMessage());
  }

  @Test
  void the_source_sends_the_good_sensors_and_reports_a_missing_bus() {
    List<Telemetry.Builder> out = new ArrayList<>();
    Ds18b20Source src = new Ds18b20Source(W1.resolve("good"), Duration.ofSeconds(60));
    src.tick(out::add);
    assertEquals(1, out.size());
    assertEquals(2, out.get(0).getSensor().getMeasurementsCount());
    assertEquals("28-0316a2791cff", out.get(0).getSensor().getMeasurements(0).getName());

    Ds18b20Source crc = new Ds18b20Source(W1.resolve("crcfail"), Duration.ofSeconds(60));
    crc.tick(out::add);
    assertEquals(1, out.size(), "nothing sent when the only sensor fails its CRC");
    assertTrue(crc.status().contains("CRC"), crc.status());

    Ds18b20Source none = new Ds18b20Source(W1.resolve("does-not-exist"), Duration.ofSeconds(60));
    none.tick(out::add);
    assertTrue(none.status().contains("1-Wire"), none.status());
  }

  /** One bad thermometer of three: the two good ones are still sent, and the status names the bad one until it recovers. */
  @Test
  void one_failing_sensor_of_several_is_reported_while_the_others_still_report(@TempDir Path bus) throws IOException {
    for (String good : List.of("28-0316a2791cff", "28-0416b3801aee")) {
      Files.createDirectories(bus.resolve(good));
      Files.copy(W1.resolve("good").resolve(good).resolve("w1_slave"), bus.resolve(good).resolve("w1_slave"));
    }
    Path bad = Files.createDirectories(bus.resolve("28-000000000001")).resolve("w1_slave");
    Files.copy(W1.resolve("crcfail/28-000000000001/w1_slave"), bad);
    List<Telemetry.Builder> out = new ArrayList<>();
    Ds18b20Source src = new Ds18b20Source(bus, Duration.ofSeconds(60));

    src.tick(out::add);
    assertEquals(1, out.size(), "the good sensors still report");
    assertEquals(List.of("28-0316a2791cff", "28-0416b3801aee"),
        out.get(0).getSensor().getMeasurementsList().stream().map(m -> m.getName()).toList(), "named, so the reading shows who is missing");
    assertTrue(src.status().startsWith("degraded, 1 samples every 60 s: 1 of 3 sensors failed: 28-000000000001: CRC check failed"),
        src.status());

    Files.writeString(bad, Files.readString(W1.resolve("good/28-0316a2791cff/w1_slave")));
    src.tick(out::add);
    assertEquals(3, out.get(1).getSensor().getMeasurementsCount());
    assertEquals("ok, 2 samples every 60 s", src.status());
  }
}
