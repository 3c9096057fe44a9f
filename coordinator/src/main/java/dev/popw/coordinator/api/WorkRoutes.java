package dev.popw.coordinator.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popw.coordinator.epoch.EpochManager;
import dev.popw.coordinator.epoch.EpochSchedule;
import dev.popw.coordinator.store.EnvelopeRow;
import dev.popw.coordinator.store.EnvelopeStore;
import dev.popw.coordinator.store.EpochRecord;
import dev.popw.coordinator.store.VerdictStore;
import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.VerdictStatus;
import dev.popw.coordinator.validation.WorkReason;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The work layer's endpoints (verdicts, epochs, device summaries), mounted in {@link RestApi}:
 *
 * <pre>
 *   GET /v1/epochs                        closed epochs, newest first, and the current one; ?offset=&amp;limit=
 *   GET /v1/epochs/current                the open epoch: bounds, close time, seconds left
 *   GET /v1/epochs/{n}                    one epoch: counts by kind and reason, hashes (OPEN if not closed)
 *   GET /v1/epochs/{n}/devices            device summaries (quality, completeness, units, explanation)
 *   GET /v1/epochs/{n}/audit              re-validates the epoch from stored evidence and compares hashes
 *   GET /v1/envelopes/{hash}/verdict      the verdict of an accepted envelope (PENDING while its epoch is open)
 *   GET /v1/devices/{id}/verdicts         a device's verdicts, newest first; ?status=VALID|INVALID&amp;offset=&amp;limit=
 *   GET /v1/devices/{id}/epochs           a device's summaries, newest epoch first
 *   GET /v1/devices/{id}/challenges       a device's GPU challenges ({@link GpuRoutes})
 *   GET /v1/challenges/{id}               one GPU challenge
 * </pre>
 */
final class WorkRoutes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();

  private final EpochManager epochs;
  private final VerdictStore verdicts;
  private final EnvelopeStore envelopes;
  private final Clock clock;
  private final ReentrantLock auditing = new ReentrantLock();
  private final GpuRoutes gpu;

  WorkRoutes(EpochManager epochs, EnvelopeStore envelopes, Clock clock) {
    this.epochs = epochs;
    this.envelopes = envelopes;
    this.verdicts = epochs.store();
    this.clock = clock;
    this.gpu = new GpuRoutes(verdicts.gpuChallenges(), clock);
  }

  /** Answers a work-layer request; false when the path is not one of its own. */
  boolean handle(com.sun.net.httpserver.HttpExchange ex, String method, String[] p, Map<String, String> q) throws java.io.IOException {
    if (!method.equals("GET") || p.length < 3 || !p[1].equals("v1")) {
      return false;
    }
    if (gpu.handle(ex, p, q)) {
      return true;
    }
    if (p[2].equals("epochs")) {
      if (p.length == 3) {
        RestApi.json(ex, 200, epochList(RestApi.intParam(q, "offset", 0, 0, Integer.MAX_VALUE), RestApi.intParam(q, "limit", 50, 1, 1000)));
        return true;
      }
      if (p.length == 4 && p[3].equals("current")) {
        RestApi.json(ex, 200, current());
        return true;
      }
      long n = epochNumber(p[3]);
      if (p.length == 4) {
        RestApi.json(ex, 200, epoch(n));
        return true;
      }
      if (p.length == 5 && p[4].equals("devices")) {
        ArrayNode items = JSON.createArrayNode();
        verdicts.summaries(n).forEach(s -> items.add(summaryJson(s, n)));
        ObjectNode o = JSON.createObjectNode();
        o.put("epoch", n);
        o.set("items", items);
        RestApi.json(ex, 200, o);
        return true;
      }
      if (p.length == 5 && p[4].equals("audit")) {
        audit(ex, n);
        return true;
      }
      return false;
    }
    if (p[2].equals("envelopes") && p.length == 5 && p[4].equals("verdict")) {
      byte[] hash = RestApi.envelopeHash(p[3]);
      ObjectNode v = verdictOf(hash);
      if (v == null) {
        RestApi.error(ex, 404, "no accepted envelope " + p[3] + " (a rejected envelope gets no verdict; see /v1/envelopes/" + p[3] + ")");
      } else {
        RestApi.json(ex, 200, v);
      }
      return true;
    }
    if (p[2].equals("devices") && p.length == 5 && p[4].equals("verdicts")) {
      String id = p[3]; // decoded by RestApi.segments
      VerdictStatus status = null;
      if (q.containsKey("status")) {
        try {
          status = VerdictStatus.valueOf(q.get("status").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new RestApi.BadRequest("status must be VALID or INVALID");
        }
      }
      int offset = RestApi.intParam(q, "offset", 0, 0, Integer.MAX_VALUE);
      int limit = RestApi.intParam(q, "limit", 100, 1, 1000);
      ArrayNode items = JSON.createArrayNode();
      verdicts.verdictsOf(id, status, offset, limit).forEach(v -> items.add(verdictJson(v.verdict(), v.epoch())));
      ObjectNode o = JSON.createObjectNode();
      o.put("device_id", id);
      o.put("offset", offset);
      o.put("limit", limit);
      o.put("total", verdicts.countVerdictsOf(id, status));
      o.set("items", items);
      RestApi.json(ex, 200, o);
      return true;
    }
    if (p[2].equals("devices") && p.length == 5 && p[4].equals("epochs")) {
      String id = p[3]; // decoded by RestApi.segments
      ArrayNode items = JSON.createArrayNode();
      verdicts.summariesOf(id, RestApi.intParam(q, "offset", 0, 0, Integer.MAX_VALUE), RestApi.intParam(q, "limit", 50, 1, 1000))
          .forEach(s -> items.add(summaryJson(s.summary(), s.epoch())));
      ObjectNode o = JSON.createObjectNode();
      o.put("device_id", id);
      o.set("items", items);
      RestApi.json(ex, 200, o);
      return true;
    }
    return false;
  }

  private static long epochNumber(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new RestApi.BadRequest("epoch must be a number or 'current'");
    }
  }

  private ObjectNode current() {
    EpochSchedule s = epochs.schedule();
    long now = clock.millis();
    long n = s.epochOf(now);
    ObjectNode o = JSON.createObjectNode();
    o.put("epoch", n);
    o.put("status", "OPEN");
    o.put("start", Instant.ofEpochMilli(s.startOf(n)).toString());
    o.put("end", Instant.ofEpochMilli(s.endOf(n)).toString());
    o.put("closes_at", Instant.ofEpochMilli(s.closesAt(n)).toString());
    o.put("seconds_left", Math.max(0, (s.endOf(n) - now) / 1000));
    o.put("length_seconds", s.length().toSeconds());
    return o;
  }

  private ObjectNode epochList(int offset, int limit) {
    ArrayNode items = JSON.createArrayNode();
    verdicts.epochs(offset, limit).forEach(r -> items.add(epochJson(r)));
    ObjectNode o = JSON.createObjectNode();
    o.set("current", current());
    o.put("offset", offset);
    o.put("limit", limit);
    o.set("items", items);
    return o;
  }

  private ObjectNode epoch(long n) {
    Optional<EpochRecord> r = verdicts.epoch(n);
    if (r.isEmpty()) {
      EpochSchedule s = epochs.schedule();
      ObjectNode o = JSON.createObjectNode();
      o.put("epoch", n);
      o.put("status", s.closesAt(n) <= clock.millis() ? "CLOSING" : "OPEN");
      o.put("start", Instant.ofEpochMilli(s.startOf(n)).toString());
      o.put("end", Instant.ofEpochMilli(s.endOf(n)).toString());
      o.put("closes_at", Instant.ofEpochMilli(s.closesAt(n)).toString());
      return o;
    }
    ObjectNode o = epochJson(r.get());
    ObjectNode byKind = o.putObject("by_kind");
    verdicts.countsByKind(n).forEach((k, m) -> byKind.set(k.name(), JSON.valueToTree(m)));
    return o;
  }

  private static ObjectNode epochJson(EpochRecord r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("epoch", r.epoch());
    o.put("status", "CLOSED");
    o.put("start", Instant.ofEpochMilli(r.startMs()).toString());
    o.put("end", Instant.ofEpochMilli(r.endMs()).toString());
    o.put("closed_at", Instant.ofEpochMilli(r.closedAt()).toString());
    o.put("envelopes", r.envelopes());
    o.put("valid", r.valid());
    o.put("invalid", r.invalid());
    o.set("by_reason", JSON.valueToTree(r.byReason()));
    o.put("verdict_set_hash", "0x" + HEX.formatHex(r.verdictSetHash()));
    o.put("summary_hash", "0x" + HEX.formatHex(r.summaryHash()));
    o.put("parameters_hash", "0x" + HEX.formatHex(r.parametersHash()));
    return o;
  }

  private void audit(com.sun.net.httpserver.HttpExchange ex, long n) throws java.io.IOException {
    if (verdicts.epoch(n).isEmpty()) {
      RestApi.error(ex, 404, "epoch " + n + " is not closed; only closed epochs can be audited");
      return;
    }
    if (!auditing.tryLock()) {
      RestApi.error(ex, 429, "an audit is already running; try again when it is done");
      return;
    }
    try {
      EpochManager.Audit a = epochs.revalidate(n);
      ObjectNode o = JSON.createObjectNode();
      o.put("epoch", n);
      o.put("matches", a.matches());
      o.put("stored_verdict_set_hash", "0x" + HEX.formatHex(a.storedHash()));
      o.put("recomputed_verdict_set_hash", "0x" + HEX.formatHex(a.recomputedHash()));
      o.put("stored_verdicts_match", a.storedVerdictsMatch());
      o.put("parameters_match", a.parametersMatch());
      RestApi.json(ex, 200, o);
    } finally {
      auditing.unlock();
    }
  }

  /** The verdict JSON of an accepted envelope; PENDING while its epoch is open; null when no such envelope. */
  ObjectNode verdictOf(byte[] hash) {
    Optional<VerdictStore.StoredVerdict> v = verdicts.verdictOf(hash);
    if (v.isPresent()) {
      return verdictJson(v.get().verdict(), v.get().epoch());
    }
    Optional<Long> receivedAt = envelopes.envelope(hash).map(EnvelopeRow::receivedAt);
    if (receivedAt.isEmpty()) {
      return null;
    }
    EpochSchedule s = epochs.schedule();
    long n = s.epochOf(receivedAt.get());
    ObjectNode o = JSON.createObjectNode();
    o.put("envelope_hash", HEX.formatHex(hash));
    o.put("epoch", n);
    o.put("status", VerdictStatus.PENDING.name());
    if (verdicts.epoch(n).isPresent()) {
      o.put("reason", WorkReason.NOT_VALIDATED);
      o.put("explanation", "epoch " + n + " closed without a verdict for this envelope: it was stored after the close, or no"
          + " validator judges its kind; reopening the epoch decides it");
    } else {
      o.put("reason", WorkReason.EPOCH_OPEN);
      o.put("explanation", "decided when epoch " + n + " closes at " + Instant.ofEpochMilli(s.closesAt(n))
          + ", with the rest of the epoch's evidence");
    }
    return o;
  }

  /** Adds the verdict and the device's sequence gaps to the JSON of a device. */
  void decorateDevice(ObjectNode n, String deviceId) {
    ArrayNode gaps = n.putArray("sequence_gaps");
    long missing = 0;
    for (EnvelopeStore.SequenceGap g : envelopes.sequenceGaps(deviceId, 100)) {
      ObjectNode o = gaps.addObject();
      o.put("from", Long.toUnsignedString(g.from()));
      o.put("to", Long.toUnsignedString(g.to()));
      missing += g.missing();
    }
    n.put("sequence_numbers_missing", missing);
    ObjectNode counts = n.putObject("verdicts");
    counts.put("valid", verdicts.countVerdictsOf(deviceId, VerdictStatus.VALID));
    counts.put("invalid", verdicts.countVerdictsOf(deviceId, VerdictStatus.INVALID));
  }

  static ObjectNode verdictJson(Verdict v, long epoch) {
    ObjectNode o = JSON.createObjectNode();
    o.put("envelope_hash", HEX.formatHex(v.envelopeHash()));
    o.put("device_id", v.deviceId());
    o.put("sequence", Long.toUnsignedString(v.sequence()));
    o.put("epoch", epoch);
    o.put("kind", v.kind().name());
    o.put("status", v.status().name());
    o.put("reason", v.reason());
    o.put("explanation", v.explanation());
    return o;
  }

  static ObjectNode summaryJson(DeviceEpochSummary s, long epoch) {
    ObjectNode o = JSON.createObjectNode();
    o.put("epoch", epoch);
    o.put("device_id", s.deviceId());
    o.put("kind", s.kind().name());
    o.put("envelopes", s.envelopes());
    o.put("valid", s.valid());
    o.put("completeness", s.completeness());
    o.put("quality", s.quality());
    o.put("units", s.units());
    o.put("explanation", s.explanation());
    return o;
  }
}
