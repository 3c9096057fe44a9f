package dev.popw.agent.source;

import java.util.concurrent.ScheduledExecutorService;

/**
 * A producer of telemetry: a sensor, the GPUs, a LoRa concentrator, or a simulation. The agent
 * starts each enabled source with the sink that seals and queues what it produces.
 */
public interface Source extends AutoCloseable {
  /** A short name for logs and status: {@code bme280}, {@code gpu}, {@code simulated-sensor}. */
  String name();

  /** Starts producing; periodic sources schedule themselves on {@code scheduler}. */
  void start(TelemetrySink sink, ScheduledExecutorService scheduler);

  /** One line on how the source is doing, e.g. {@code ok, 12 readings} or {@code no GPU found}. */
  String status();

  @Override
  default void close() {}
}
