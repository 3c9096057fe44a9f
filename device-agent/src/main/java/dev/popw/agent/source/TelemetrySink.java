package dev.popw.agent.source;

import dev.popw.proto.v1.Telemetry;

/** Where sources put what they produce: sealed, signed and queued by the agent's device client. */
@FunctionalInterface
public interface TelemetrySink {
  /** Takes a telemetry with its payload (and {@code simulated} flag) set. */
  void accept(Telemetry.Builder telemetry);
}
