package dev.popw.coordinator.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The coordinator's Prometheus metrics:
 *
 * <ul>
 *   <li>{@code popw_envelopes_total{outcome}}: ACCEPTED, DUPLICATE or the rejection reason;
 *   <li>{@code popw_ingest_seconds}: from receipt of the bytes to the committed decision;
 *   <li>{@code popw_batch_envelopes}: sizes of sealed batches;
 *   <li>{@code popw_write_queue_depth}: decisions waiting for the database;
 *   <li>{@code popw_verdicts_total{kind,status,reason}}: verdicts of closed epochs;
 *   <li>{@code popw_epochs_closed_total} and {@code popw_epoch_last_closed}: the epochs closed;
 *   <li>{@code popw_broker_connections}, {@code popw_broker_clients}, {@code popw_broker_subscriptions},
 *       {@code popw_broker_buffered_bytes} and {@code popw_broker_refusals_total{reason}}: the embedded
 *       MQTT broker (docs/security.md);
 *   <li>{@code popw_device_certificates_total{outcome}}: device certificate requests, by outcome
 *       ({@code issued}, {@code unknown_device}, {@code inactive}, {@code unsupported_key});
 *   <li>{@code popw_api_refused_total{reason}}: HTTP API requests refused by a limit, and the
 *       {@code popw_api_*} gauges of its threads, workers, queue and rate-limit table;
 *   <li>{@code popw_api_operator_actions_total{action}}: operator actions done through the API;
 *   <li>limits (docs/security.md): {@code popw_coap_rate_limited_total}, {@code
 *       popw_coap_tracked_sources}, {@code popw_coap_payloads_withheld_total}, {@code
 *       popw_coap_refused_total{code}}, {@code popw_coap_blockwise_started_total}; {@code popw_rejections_dropped_total}, {@code
 *       popw_rejections_dropped_bytes_total}, {@code popw_rejections_stored_bytes}; {@code
 *       popw_device_states_cached}, {@code popw_device_states_evicted_total}, {@code
 *       popw_device_states_loaded_total}.
 * </ul>
 */
public final class Metrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final Map<String, Counter> certificates = new ConcurrentHashMap<>();
  private final Map<String, Counter> apiRefused = new ConcurrentHashMap<>();
  private final Timer ingest;
  private final DistributionSummary batchSize;
  private final Counter epochsClosed;
  /** What function counters read: Micrometer holds them weakly. */
  private final java.util.List<Object> functions = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final java.util.concurrent.atomic.AtomicLong lastEpoch = new java.util.concurrent.atomic.AtomicLong(-1);

  public Metrics() {
    ingest = Timer.builder("popw.ingest").description("time from receiving an envelope to its committed decision")
        .publishPercentiles(0.5, 0.99).register(registry);
    epochsClosed = Counter.builder("popw.epochs.closed").description("epochs closed").register(registry);
    Gauge.builder("popw.epoch.last.closed", lastEpoch, java.util.concurrent.atomic.AtomicLong::get)
        .description("the last closed epoch, -1 before the first").register(registry);
    batchSize = DistributionSummary.builder("popw.batch.envelopes").description("envelopes per sealed batch").register(registry);
  }

  public void outcome(String outcome, long nanos) {
    outcomes.computeIfAbsent(outcome, o -> Counter.builder("popw.envelopes").tag("outcome", o)
        .description("envelopes by outcome").register(registry)).increment();
    ingest.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Counts a closed epoch's verdicts. */
  public void epochClosed(long epoch, java.util.Map<dev.popw.coordinator.validation.WorkKind, java.util.Map<String, Long>> byKind) {
    byKind.forEach((kind, counts) -> counts.forEach((statusReason, n) -> {
      String[] sr = statusReason.split("/", 2);
      Counter.builder("popw.verdicts").tag("kind", kind.name()).tag("status", sr[0]).tag("reason", sr[1])
          .description("verdicts of closed epochs").register(registry).increment(n);
    }));
    epochsClosed.increment();
    lastEpoch.set(epoch);
  }

  /** Counts a device certificate request (GET /v1/devices/{id}/certificate) by its outcome. */
  public void deviceCertificate(String outcome) {
    certificates.computeIfAbsent(outcome, o -> Counter.builder("popw.device.certificates").tag("outcome", o)
        .description("device certificate requests by outcome").register(registry)).increment();
  }

  public void batchSealed(int envelopes) {
    batchSize.record(envelopes);
  }

  public void queueDepth(Supplier<Number> depth) {
    Gauge.builder("popw.write.queue.depth", depth).description("decisions waiting for the database").register(registry);
  }

  /** A gauge read from {@code value} at each scrape. */
  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).register(registry);
  }

  /**
   * A counter with one tag, read from {@code value} (monotonic) at each scrape. Micrometer holds a
   * function counter's state weakly, so the supplier is kept here.
   */
  public void counter(String name, String tag, String tagValue, String description, java.util.function.LongSupplier value) {
    strongStates.add(value);
    io.micrometer.core.instrument.FunctionCounter.builder(name, value, v -> (double) v.getAsLong()).tag(tag, tagValue)
        .description(description).register(registry);
  }

  private final java.util.List<Object> strongStates = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Counts an HTTP API refusal of this reason ({@code popw_api_refused_total{reason}}); registered at 0 by this call. */
  public Runnable apiRefusals(String reason) {
    Counter c = apiRefused.computeIfAbsent(reason, r -> Counter.builder("popw.api.refused").tag("reason", r)
        .description("HTTP API requests refused by a limit").register(registry));
    return c::increment;
  }

  /** A gauge {@code popw_api_<name>} (dots become underscores) of the HTTP API. */
  public void apiGauge(String name, String description, Supplier<Number> value) {
    Gauge.builder("popw.api." + name, value).description(description).register(registry);
  }

  /** Counts an operator action of this name ({@code popw_api_operator_actions_total{action}}). */
  public Runnable operatorActions(String action) {
    Counter c = Counter.builder("popw.api.operator.actions").tag("action", action).description("operator actions done through the API")
        .register(registry);
    return c::increment;
  }

  /**
   * The CoAP endpoint's limits: requests dropped over a source's rate, the sources tracked, answers
   * sent without payload (it would have been larger than the request), requests answered 4.04 and
   * 4.05, blockwise uploads begun.
   */
  public void coap(Supplier<Number> rateLimited, Supplier<Number> trackedSources, Supplier<Number> payloadsWithheld,
      Supplier<Number> notFound, Supplier<Number> methodNotAllowed, Supplier<Number> blockwiseStarted) {
    counter("popw.coap.blockwise.started", "CoAP blockwise uploads begun (limits.coap_blockwise_transfers at once)", blockwiseStarted);
    counter("popw.coap.rate.limited", "CoAP requests dropped unanswered: their source address was over its rate", rateLimited);
    Gauge.builder("popw.coap.tracked.sources", trackedSources).description("source addresses the CoAP rate limit tracks")
        .register(registry);
    counter("popw.coap.payloads.withheld", "CoAP answers sent without payload, which would have been larger than the request",
        payloadsWithheld);
    functions.add(notFound);
    functions.add(methodNotAllowed);
    io.micrometer.core.instrument.FunctionCounter.builder("popw.coap.refused", notFound, n -> n.get().doubleValue()).tag("code", "4.04")
        .description("CoAP requests refused: no such path (4.04) or another method than POST (4.05)").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("popw.coap.refused", methodNotAllowed, n -> n.get().doubleValue())
        .tag("code", "4.05").description("CoAP requests refused: no such path (4.04) or another method than POST (4.05)")
        .register(registry);
  }

  /** Rejection storage: rejections deleted to stay within the caps, their bytes, and the bytes kept. */
  public void rejectionStorage(Supplier<Number> dropped, Supplier<Number> droppedBytes, Supplier<Number> storedBytes) {
    counter("popw.rejections.dropped", "stored rejections deleted, oldest first, to stay within the rejection caps", dropped);
    counter("popw.rejections.dropped.bytes", "bytes of the stored rejections deleted to stay within the caps", droppedBytes);
    Gauge.builder("popw.rejections.stored.bytes", storedBytes).description("bytes of rejections stored (limits.rejected_bytes_total)")
        .register(registry);
  }

  /** The pipeline's device cache: states held, evicted (idle or over the bound), and read from the database. */
  public void deviceCache(Supplier<Number> cached, Supplier<Number> evicted, Supplier<Number> loaded) {
    Gauge.builder("popw.device.states.cached", cached).description("devices whose duplicate-check state is in memory")
        .register(registry);
    counter("popw.device.states.evicted", "device states removed from memory (idle, or over limits.cached_devices)", evicted);
    counter("popw.device.states.loaded", "device states read from the database (first envelope, or after an eviction)", loaded);
  }

  private void counter(String name, String description, Supplier<Number> value) {
    functions.add(value);
    io.micrometer.core.instrument.FunctionCounter.builder(name, value, v -> v.get().doubleValue()).description(description)
        .register(registry);
  }

  /**
   * Which path verifies envelope signatures ({@code popw_signature_path{path}} = 1) and, on the
   * native one, what it did ({@code popw_signatures_native_total{outcome}}: accepted, refused and
   * failed, both of those then decided by Bouncy Castle, and keys it declined).
   *
   * @param counts accepted, refused, failed, keys declined; null on the Bouncy Castle path
   */
  public void signatures(String path, Supplier<long[]> counts) {
    Gauge.builder("popw.signature.path", () -> 1).tag("path", path)
        .description("which implementation verifies envelope signatures (native: AWS-LC, Bouncy Castle deciding refusals)")
        .register(registry);
    if (counts != null) {
      String[] outcomes = {"accepted", "refused", "failed", "key_declined"};
      for (int i = 0; i < outcomes.length; i++) {
        int idx = i;
        counter("popw.signatures.native", "outcome", outcomes[i],
            "signatures the native path accepted, refused or failed on (Bouncy Castle decides those), and keys it declined",
            () -> counts.get()[idx]);
      }
    }
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }
}
