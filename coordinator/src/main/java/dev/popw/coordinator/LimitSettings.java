package dev.popw.coordinator;

import java.time.Duration;

/**
 * Bounds on what unauthenticated or misbehaving senders can make the coordinator spend: CoAP
 * requests per source address, bytes of rejected envelopes kept as evidence, and devices whose
 * duplicate-check state is held in memory. Section {@code [limits]} of the settings file; every
 * limit has a metric (docs/security.md).
 *
 * @param coapRequestsPerSecond CoAP requests a source address may send per second, sustained (a
 *     token bucket); 0 turns the limit off. Requests over it are dropped without an answer.
 * @param coapBurst the bucket's size: requests a source may send at once after a quiet spell
 * @param coapTrackedSources source addresses tracked at once; the least recently seen is forgotten
 * @param rejectedBytesPerDevice bytes of rejections kept per registered device (oldest dropped first)
 * @param rejectedBytesUnattributed bytes kept of rejections that are no registered device's (bad
 *     signatures, unparseable bytes, unregistered keys)
 * @param rejectedBytesTotal bytes of rejections kept in all
 * @param cachedDevices devices whose duplicate-check state is held in memory at most
 * @param deviceIdle how long a device's state stays in memory after its last envelope
 * @param coapBlockwiseTransfers blockwise (Block1) uploads reassembled at once, each buffering up
 *     to 8 KiB; when all are in use, a new one is refused until one has been idle for 30 s
 */
public record LimitSettings(int coapRequestsPerSecond, int coapBurst, int coapTrackedSources, long rejectedBytesPerDevice,
    long rejectedBytesUnattributed, long rejectedBytesTotal, int cachedDevices, Duration deviceIdle, int coapBlockwiseTransfers) {

  /** The smallest rejection cap: room for the largest rejection row (a 16 KiB envelope, its detail and row overhead) twice. */
  public static final long MIN_REJECTED_BYTES = 32 * 1024;

  public LimitSettings {
    if (coapRequestsPerSecond < 0 || coapBurst < 1 || coapTrackedSources < 1) {
      throw new IllegalArgumentException("CoAP limits must be positive (requests per second 0: off)");
    }
    if (rejectedBytesPerDevice < MIN_REJECTED_BYTES || rejectedBytesUnattributed < MIN_REJECTED_BYTES
        || rejectedBytesTotal < MIN_REJECTED_BYTES) {
      throw new IllegalArgumentException("rejection caps must be at least " + MIN_REJECTED_BYTES + " bytes");
    }
    if (rejectedBytesPerDevice > rejectedBytesTotal || rejectedBytesUnattributed > rejectedBytesTotal) {
      throw new IllegalArgumentException("limits.rejected_bytes_per_device and limits.rejected_bytes_unattributed must not exceed"
          + " limits.rejected_bytes_total (" + rejectedBytesTotal + ")");
    }
    if (coapBlockwiseTransfers < 1) {
      throw new IllegalArgumentException("limits.coap_blockwise_transfers must be positive");
    }
    if (cachedDevices < 1 || deviceIdle.isNegative() || deviceIdle.isZero()) {
      throw new IllegalArgumentException("limits.cached_devices and limits.device_idle_seconds must be positive");
    }
  }

  /**
   * 100 requests/s per source (burst 200, 100,000 sources), 1,000 blockwise uploads, 64 KiB / 1 MiB
   * / 64 MiB of rejections, 100,000 devices idle 10 min.
   */
  public static LimitSettings defaults() {
    return new LimitSettings(100, 200, 100_000, 64 * 1024, 1024 * 1024, 64 * 1024 * 1024, 100_000, Duration.ofMinutes(10), 1_000);
  }

  /** These limits with the CoAP rate limit set (0: off). */
  public LimitSettings withCoapRate(int requestsPerSecond, int burst) {
    return new LimitSettings(requestsPerSecond, burst, coapTrackedSources, rejectedBytesPerDevice, rejectedBytesUnattributed,
        rejectedBytesTotal, cachedDevices, deviceIdle, coapBlockwiseTransfers);
  }

  /** These limits with other rejection caps. */
  public LimitSettings withRejectedBytes(long perDevice, long unattributed, long total) {
    return new LimitSettings(coapRequestsPerSecond, coapBurst, coapTrackedSources, perDevice, unattributed, total, cachedDevices,
        deviceIdle, coapBlockwiseTransfers);
  }

  /** These limits with another device cache size and idle time. */
  public LimitSettings withDeviceCache(int devices, Duration idle) {
    return new LimitSettings(coapRequestsPerSecond, coapBurst, coapTrackedSources, rejectedBytesPerDevice, rejectedBytesUnattributed,
        rejectedBytesTotal, devices, idle, coapBlockwiseTransfers);
  }
}
