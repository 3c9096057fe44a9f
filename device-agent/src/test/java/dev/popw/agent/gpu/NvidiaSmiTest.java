package dev.popw.agent.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.Telemetry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nvidia-smi output recorded for 0, 1 and 8 GPUs and malformed variants, parsed and run through a stand-in binary. */
class NvidiaSmiTest {
  static final Path DIR = Path.of("src/test/resources/nvidia-smi");
  @TempDir Path tmp;

  @Test
  void one_gpu() throws IOException {
    GpuReport r = NvidiaSmi.parse(Files.readString(DIR.resolve("gpus-1.csv")));
    assertEquals(1, r.getGpusCount());
    var g = r.getGpus(0);
    assertEquals("GPU-5b2f6a3e-1c8d-4e0f-9a7b-2d3c4e5f6a7b", g.getUuid());
    assertEquals("NVIDIA GeForce RTX 4090", g.getModel());
    assertEquals(24564, g.getMemoryTotalMib());
    assertEquals(1234, g.getMemoryUsedMib());
    assertEquals(37f, g.getUtilizationPercent());
    assertEquals(45f, g.getTemperatureC());
    assertEquals(71.28f, g.getPowerW());
    assertEquals("550.54.14", g.getDriverVersion());
  }

  @Test
  void eight_gpus_with_a_power_reading_not_available() throws IOException {
    GpuReport r = NvidiaSmi.parse(Files.readString(DIR.resolve("gpus-8.csv")));
    assertEquals(8, r.getGpusCount());
    assertEquals(84f, r.getGpus(7).getUtilizationPercent());
    assertEquals(0f, r.getGpus(7).getPowerW(), "[N/A] stays unset");
    assertEquals(370.5f, r.getGpus(6).getPowerW(), 0.001);
  }

  @Test
  void no_gpus_and_malformed_output() throws IOException {
    assertInstanceOf(NvidiaSmi.GpuUnavailableException.class,
        assertThrows(IOException.class, () -> NvidiaSmi.parse(Files.readString(DIR.resolve("gpus-0.csv")))));
    IOException fields = assertThrows(IOException.class, () -> NvidiaSmi.parse(Files.readString(DIR.resolve("malformed.csv"))));
    assertTrue(fields.getMessage().contains("6 fields, expected 8"), fields.getMessage());
    assertFalse(fields instanceof NvidiaSmi.GpuUnavailableException);
    IOException number = assertThrows(IOException.class, () -> NvidiaSmi.parse(Files.readString(DIR.resolve("malformed-number.csv"))));
    assertTrue(number.getMessage().contains("memory.total 'lots'"), number.getMessage());
  }

  @Test
  void runs_the_binary_with_the_documented_query() throws Exception {
    Path args = tmp.resolve("args");
    Path smi = script("echo \"$@\" > " + args + "; cat " + DIR.toAbsolutePath().resolve("gpus-8.csv"));
    assertEquals(8, new NvidiaSmi(smi.toString()).query().getGpusCount());
    assertEquals("--query-gpu=" + NvidiaSmi.QUERY + " --format=csv,noheader,nounits", Files.readString(args).strip());
  }

  @Test
  void no_gpu_no_driver_and_no_binary_are_clear_statuses_not_crashes() throws Exception {
    Path none = script("echo 'No devices were found'; exit 6");
    IOException e = assertThrows(NvidiaSmi.GpuUnavailableException.class, () -> new NvidiaSmi(none.toString()).query());
    assertEquals("no NVIDIA GPU found", e.getMessage());
    Path driver = script("echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"; exit 9");
    assertTrue(assertThrows(NvidiaSmi.GpuUnavailableException.class, () -> new NvidiaSmi(driver.toString()).query())
        .getMessage().contains("driver"));

    GpuSource missing = new GpuSource(new NvidiaSmi(tmp.resolve("no-such-nvidia-smi").toString()), Duration.ofSeconds(60));
    List<Telemetry.Builder> out = new ArrayList<>();
    missing.tick(out::add);
    assertTrue(out.isEmpty());
    assertTrue(missing.status().contains("not found"), missing.status());
  }

  private Path script(String body) throws IOException {
    Path p = tmp.resolve("nvidia-smi-" + System.nanoTime());
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    return p;
  }
}
