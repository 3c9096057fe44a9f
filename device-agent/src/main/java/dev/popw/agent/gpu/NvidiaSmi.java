package dev.popw.agent.gpu;

import dev.popw.proto.v1.Gpu;
import dev.popw.proto.v1.GpuReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * NVIDIA GPUs through {@code nvidia-smi --query-gpu=... --format=csv,noheader,nounits}. No GPU, no
 * driver or no {@code nvidia-smi} is a {@link GpuUnavailableException} with a clear message.
 */
public final class NvidiaSmi {
  /** The fields asked for, in order. */
  public static final String QUERY = "uuid,name,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw,driver_version";

  /** Why there are no GPU readings: not a crash, a status. */
  public static final class GpuUnavailableException extends IOException {
    public GpuUnavailableException(String message) {
      super(message);
    }
  }

  private final String command;

  public NvidiaSmi(String command) {
    this.command = command;
  }

  /** Runs nvidia-smi and parses its output. */
  public GpuReport query() throws IOException {
    Process p;
    try {
      p = new ProcessBuilder(command, "--query-gpu=" + QUERY, "--format=csv,noheader,nounits").redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new GpuUnavailableException("'" + command + "' not found: no NVIDIA driver installed (or set sources.gpu.nvidia_smi)");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("nvidia-smi did not answer within 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running nvidia-smi", e);
    }
    if (p.exitValue() != 0) {
      String first = out.strip().lines().findFirst().orElse("");
      if (first.contains("No devices were found") || p.exitValue() == 6) {
        throw new GpuUnavailableException("no NVIDIA GPU found");
      }
      if (first.contains("couldn't communicate with the NVIDIA driver") || p.exitValue() == 9) {
        throw new GpuUnavailableException("the NVIDIA driver is not loaded: " + first);
      }
      throw new IOException("nvidia-smi failed (exit " + p.exitValue() + "): " + first);
    }
    return parse(out);
  }

  /**
   * Parses the CSV output, one GPU per line. {@code [N/A]} or {@code [Not Supported]} values are
   * left unset.
   *
   * @throws GpuUnavailableException for empty output (no GPUs)
   * @throws IOException for malformed lines, naming the line
   */
  public static GpuReport parse(String csv) throws IOException {
    GpuReport.Builder r = GpuReport.newBuilder();
    int lineNo = 0;
    for (String line : csv.split("\\R")) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      if (line.contains("No devices were found")) {
        throw new GpuUnavailableException("no NVIDIA GPU found");
      }
      String[] f = line.split(",", -1);
      if (f.length != 8) {
        throw new IOException("nvidia-smi line " + lineNo + " has " + f.length + " fields, expected 8: '" + line.strip() + "'");
      }
      for (int i = 0; i < f.length; i++) {
        f[i] = f[i].strip();
      }
      if (!f[0].startsWith("GPU-")) {
        throw new IOException("nvidia-smi line " + lineNo + ": '" + f[0] + "' is not a GPU UUID");
      }
      Gpu.Builder g = Gpu.newBuilder().setUuid(f[0]).setModel(f[1]).setDriverVersion(f[7]);
      Long total = integer(f[2], "memory.total", lineNo);
      if (total != null) {
        g.setMemoryTotalMib(total);
      }
      Long used = integer(f[3], "memory.used", lineNo);
      if (used != null) {
        g.setMemoryUsedMib(used);
      }
      Float util = number(f[4], "utilization.gpu", lineNo);
      if (util != null) {
        g.setUtilizationPercent(util);
      }
      Float temp = number(f[5], "temperature.gpu", lineNo);
      if (temp != null) {
        g.setTemperatureC(temp);
      }
      Float power = number(f[6], "power.draw", lineNo);
      if (power != null) {
        g.setPowerW(power);
      }
      r.addGpus(g);
    }
    if (r.getGpusCount() == 0) {
      throw new GpuUnavailableException("no NVIDIA GPU found");
    }
    return r.build();
  }

  private static boolean missing(String v) {
    return v.isEmpty() || v.startsWith("[");
  }

  private static Long integer(String v, String field, int line) throws IOException {
    if (missing(v)) {
      return null;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IOException("nvidia-smi line " + line + ": " + field + " '" + v + "' is not a number");
    }
  }

  private static Float number(String v, String field, int line) throws IOException {
    if (missing(v)) {
      return null;
    }
    try {
      return Float.parseFloat(v);
    } catch (NumberFormatException e) {
      throw new IOException("nvidia-smi line " + line + ": " + field + " '" + v + "' is not a number");
    }
  }

}
