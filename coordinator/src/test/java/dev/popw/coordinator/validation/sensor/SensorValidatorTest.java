package dev.popw.coordinator.validation.sensor;

import static dev.popw.coordinator.validation.InMemoryEvidence.celsius;
import static dev.popw.coordinator.validation.InMemoryEvidence.m;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.EpochResult;
import dev.popw.coordinator.validation.InMemoryEvidence;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.VerdictStatus;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.Unit;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Each sensor rule provoked, with its explanation; the quality score of a day of readings. */
class SensorValidatorTest {
  static final long DAY = 86_400_000;
  static final long EPOCH = 20_416; // 2025-11-24
  static final long START = EPOCH * DAY;
  final SensorValidator validator = new SensorValidator();

  InMemoryEvidence epoch() {
    return new InMemoryEvidence(EPOCH, START, START + DAY);
  }

  static Verdict of(EpochResult r, String device, long seq) {
    return r.verdicts().stream().filter(v -> v.deviceId().equals(device) && v.sequence() == seq).findFirst().orElseThrow();
  }

  @Test
  void a_value_outside_the_physical_range_is_out_of_range() {
    InMemoryEvidence ev = epoch();
    ev.reading("a", 1, START + 60_000, celsius(150));
    Verdict v = of(ev.run(validator), "a", 1);
    assertEquals(VerdictStatus.INVALID, v.status());
    assertEquals(WorkReason.OUT_OF_RANGE, v.reason());
    assertEquals("temperature 150.0 °C is outside the physical range [-90.0, 60.0] °C", v.explanation());
  }

  @Test
  void a_quantity_in_a_foreign_unit_or_without_a_name_is_a_unit_mismatch() {
    InMemoryEvidence ev = epoch();
    ev.reading("a", 1, START + 60_000, m(Quantity.PRESSURE, 21.0, Unit.CELSIUS));
    ev.reading("a", 2, START + 120_000, m(Quantity.QUANTITY_OTHER, 3.0, Unit.UNIT_OTHER));
    EpochResult r = ev.run(validator);
    assertEquals(WorkReason.UNIT_MISMATCH, of(r, "a", 1).reason());
    assertEquals("pressure reported in CELSIUS; it must be PASCAL", of(r, "a", 1).explanation());
    assertEquals(WorkReason.UNIT_MISMATCH, of(r, "a", 2).reason());
  }

  @Test
  void a_jump_within_the_window_is_refused_with_its_size_and_the_limit() {
    InMemoryEvidence ev = epoch();
    ev.reading("a", 1, START + 60_000, celsius(20.0));
    ev.reading("a", 2, START + 120_000, celsius(34.2));
    ev.reading("a", 3, START + 180_000, celsius(20.5)); // compared with #1, the last valid one
    ev.reading("a", 4, START + 900_000, celsius(30.0)); // 12 min later: outside the 5-min window
    EpochResult r = ev.run(validator);
    Verdict jump = of(r, "a", 2);
    assertEquals(WorkReason.JUMP, jump.reason());
    assertEquals("temperature jumped 14.20 °C in 60 s (from 20.0 to 34.20); limit 3.0 °C within 300 s", jump.explanation());
    assertEquals(VerdictStatus.VALID, of(r, "a", 3).status());
    assertEquals(VerdictStatus.VALID, of(r, "a", 4).status(), "no baseline within the jump window");
  }

  @Test
  void the_same_value_for_the_stuck_time_is_a_stuck_sensor() {
    InMemoryEvidence ev = epoch();
    for (int i = 0; i <= 30; i++) { // every 10 minutes for 5 hours
      ev.reading("a", i + 1, START + i * 600_000L, celsius(21.0));
    }
    EpochResult r = ev.run(validator);
    assertEquals(VerdictStatus.VALID, of(r, "a", 24).status(), "3 h 50 min");
    Verdict stuck = of(r, "a", 25); // 4 h after the first reading
    assertEquals(WorkReason.STUCK_SENSOR, stuck.reason());
    assertEquals("temperature has read 21.0 °C for 4.0 h (since " + Instant.ofEpochMilli(START) + "); limit 4.0 h", stuck.explanation());
    assertEquals(WorkReason.STUCK_SENSOR, of(r, "a", 31).reason());
  }

  @Test
  void a_reading_far_from_the_registered_location_is_a_location_mismatch() {
    InMemoryEvidence ev = epoch();
    ev.device("a", 52.52, 13.405);
    ev.reading("a", 1, START + 60_000, Location.newBuilder().setLatitude(52.62).setLongitude(13.405).build(), celsius(10));
    ev.reading("a", 2, START + 120_000, Location.newBuilder().setLatitude(52.5205).setLongitude(13.405).build(), celsius(10));
    EpochResult r = ev.run(validator);
    // Same meridian: the distance is the arc of 0.1 degrees of latitude on the mean Earth radius.
    double expected = 6_371_008.8 * Math.toRadians(0.1);
    assertEquals(11_119.5, expected, 0.1);
    Verdict v = of(r, "a", 1);
    assertEquals(WorkReason.LOCATION_MISMATCH, v.reason());
    assertEquals(String.format(Locale.ROOT,
        "reading taken at (52.62000, 13.40500), %.0f m from the registered location (52.52000, 13.40500); limit 1000 m", expected),
        v.explanation());
    assertEquals(VerdictStatus.VALID, of(r, "a", 2).status(), "56 m away");
  }

  @Test
  void a_device_far_from_the_median_of_its_neighbours_is_an_outlier() {
    InMemoryEvidence ev = epoch();
    // Four stations within a few km of each other in Berlin, one far away in Munich.
    ev.device("a", 52.52, 13.40).device("b", 52.53, 13.41).device("c", 52.51, 13.39).device("d", 52.52, 13.42);
    ev.device("far", 48.14, 11.58);
    double[] temps = {35.0, 20.0, 20.5, 21.0};
    String[] ids = {"a", "b", "c", "d"};
    for (int i = 0; i < ids.length; i++) {
      for (int k = 0; k < 5; k++) {
        ev.reading(ids[i], k + 1, START + 3_600_000 + k * 60_000L, celsius(temps[i] + (k % 2) * 0.1));
      }
    }
    ev.reading("far", 1, START + 3_600_000, celsius(-5));
    EpochResult r = ev.run(validator);
    Verdict v = of(r, "a", 1);
    assertEquals(WorkReason.OUTLIER, v.reason());
    // a's hourly median is 35.0 (35.0, 35.1, 35.0, 35.1, 35.0); the neighbours' are 20.0, 20.5, 21.0.
    assertEquals("hourly median temperature 35.0 °C is 14.50 °C from the median 20.50 °C of 3 devices within 10.0 km; limit 8.0 °C",
        v.explanation());
    for (String ok : List.of("b", "c", "d")) {
      assertEquals(VerdictStatus.VALID, of(r, ok, 1).status(), ok);
    }
    assertEquals(VerdictStatus.VALID, of(r, "far", 1).status(), "no neighbours within 10 km: not compared");
  }

  /**
   * One day of a station (test resource station-day.csv): 1,380 one-minute readings, the hour
   * 13:00 missing and one spike at 09:30 (+15 °C). By hand: 1 JUMP, 1,379 valid; completeness = (22 full
   * hours + 59/60 for 09:00 + 0 for 13:00) / 24; quality = 1379/1380 × completeness.
   */
  @Test
  void quality_score_of_a_recorded_day() throws Exception {
    InMemoryEvidence ev = epoch();
    int n = 0;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
        getClass().getResourceAsStream("/validation/station-day.csv"), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("#") || line.startsWith("offset")) {
          continue;
        }
        String[] f = line.split(",");
        n++;
        ev.reading("station", n, START + Long.parseLong(f[0]) * 1000, celsius(Double.parseDouble(f[1])),
            m(Quantity.RELATIVE_HUMIDITY, Double.parseDouble(f[2]), Unit.PERCENT), m(Quantity.PRESSURE, Double.parseDouble(f[3]), Unit.PASCAL));
      }
    }
    assertEquals(1380, n);
    EpochResult r = ev.run(validator);
    List<Verdict> invalid = r.verdicts().stream().filter(v -> !v.isValid()).toList();
    assertEquals(1, invalid.size(), invalid.toString());
    assertEquals(WorkReason.JUMP, invalid.get(0).reason());
    // 09:30 reads 24.58 after 9.59 at 09:29 (station-day.csv lines 576-577).
    assertEquals("temperature jumped 14.99 °C in 60 s (from 9.59 to 24.58); limit 3.0 °C within 300 s", invalid.get(0).explanation());
    DeviceEpochSummary s = r.summaries().get(0);
    double completeness = (22 + 59.0 / 60) / 24;
    assertEquals(1379, s.valid());
    assertEquals(completeness, s.completeness(), 1e-12);
    assertEquals(1379.0 / 1380 * completeness, s.quality(), 1e-12);
    assertTrue(s.explanation().contains("lowest hour " + Instant.ofEpochMilli(START + 13 * 3_600_000L) + " at 0.000"), s.explanation());
  }

  @Test
  void the_same_evidence_gives_the_same_bytes() {
    InMemoryEvidence a = epoch();
    InMemoryEvidence b = epoch();
    for (int i = 0; i < 50; i++) {
      a.reading("x", i + 1, START + i * 60_000L, celsius(i % 7 == 0 ? 80 : 20 + i * 0.01));
    }
    for (int i = 49; i >= 0; i--) { // the same readings, handed over in reverse order
      b.reading("x", i + 1, START + i * 60_000L, celsius(i % 7 == 0 ? 80 : 20 + i * 0.01));
    }
    EpochResult ra = a.run(validator);
    EpochResult rb = b.run(validator);
    assertTrue(Arrays.equals(EpochResult.encodeVerdicts(EPOCH, ra.verdicts()), EpochResult.encodeVerdicts(EPOCH, rb.verdicts())));
    assertTrue(Arrays.equals(ra.verdictSetHash(), rb.verdictSetHash()));
    assertTrue(Arrays.equals(ra.summaryHash(), rb.summaryHash()));
  }
}
