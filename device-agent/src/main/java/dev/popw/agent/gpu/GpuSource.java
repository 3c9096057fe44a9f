package dev.popw.agent.gpu;

import dev.popw.agent.source.PeriodicSource;
import dev.popw.proto.v1.Telemetry;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/** GPU telemetry from nvidia-smi at an interval. Without a GPU it reports that status and sends nothing. */
public final class GpuSource extends PeriodicSource {
  private final NvidiaSmi smi;

  public GpuSource(NvidiaSmi smi, Duration interval) {
    super("gpu", interval);
    this.smi = smi;
  }

  @Override
  protected Optional<Telemetry.Builder> sample() throws IOException {
    return Optional.of(Telemetry.newBuilder().setGpu(smi.query()));
  }
}
