package dev.popw.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.popw.coordinator.entropy.EntropyService;
import dev.popw.coordinator.epoch.EpochManager;
import dev.popw.coordinator.store.EntropyStore;
import dev.popw.coordinator.validation.CoverageSummary;
import dev.popw.coordinator.validation.coverage.Denylist;
import dev.popw.identity.DeviceId;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Proof-of-coverage endpoints (docs/coverage.md), mounted in {@link RestApi}:
 *
 * <pre>
 *   GET    /v1/entropy                  the current signed entropy (JSON; protobuf SignedEntropy with Accept: application/x-protobuf)
 *   GET    /v1/entropy/{sequence}       an earlier one
 *   GET    /v1/epochs/{n}/coverage      per-device coverage numbers of a closed epoch (HIP-15 units, HIP-17 scale)
 *   GET    /v1/coverage/denylist        the denylist entries
 *   POST   /v1/coverage/denylist        add an entry (operator only): {"device_id", "other_device_id"?, "since"?, "reason"?}
 *   DELETE /v1/coverage/denylist?device_id=&amp;other_device_id=   end the entries in force (operator only)
 * </pre>
 *
 * Changing the denylist is an operator action: {@link #isOperator} decides who is one.
 */
public final class CoverageRoutes implements RestApi.Routes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();

  private final EntropyService entropy;
  private final Denylist denylist;
  private final EpochManager epochs;
  private final Clock clock;
  private final byte[] coordinatorKey;
  private volatile Predicate<HttpExchange> operator;

  public CoverageRoutes(EntropyService entropy, Denylist denylist, EpochManager epochs, Clock clock, byte[] coordinatorKey,
      Predicate<HttpExchange> operator) {
    this.entropy = entropy;
    this.denylist = denylist;
    this.epochs = epochs;
    this.clock = clock;
    this.coordinatorKey = coordinatorKey.clone();
    this.operator = operator;
  }

  /** The denylist's changes: operator actions, which need the API's operator token (RequestGuard). */
  static boolean isOperatorAction(String method, String path) {
    if (!method.equals("POST") && !method.equals("DELETE")) {
      return false;
    }
    int end = path.length();
    while (end > 0 && path.charAt(end - 1) == '/') {
      end--; // a loop, not the regex "/+$", which backtracks quadratically over many slashes
    }
    return path.substring(0, end).equals("/v1/coverage/denylist");
  }

  /** An operator: the request carried a valid operator token (the API checked it before routing). */
  public static boolean tokenOperator(HttpExchange ex) {
    return RequestGuard.isOperator(ex);
  }

  /** An operator who calls from this machine (a loopback address): for tests of these routes alone. */
  public static boolean loopbackOperator(HttpExchange ex) {
    InetSocketAddress a = ex.getRemoteAddress();
    return a != null && a.getAddress() != null && a.getAddress().isLoopbackAddress();
  }

  /** Who may change the denylist (to be pointed at the API's operator authentication). */
  public void operatorCheck(Predicate<HttpExchange> check) {
    this.operator = java.util.Objects.requireNonNull(check);
  }

  /** Whether this request comes from an operator. */
  boolean isOperator(HttpExchange ex) {
    return operator.test(ex);
  }

  @Override
  public boolean handle(HttpExchange ex, String method, String[] p, Map<String, String> q) throws IOException {
    if (p.length < 3 || !p[1].equals("v1")) {
      return false;
    }
    if (p[2].equals("entropy") && method.equals("GET") && (p.length == 3 || p.length == 4)) {
      Optional<EntropyStore.Stored> e;
      if (p.length == 3) {
        e = Optional.ofNullable(entropy.current());
        if (e.isEmpty()) { // a cluster node before the issuing node stored the first (docs/scale-out.md)
          RestApi.error(ex, 503, "no entropy issued yet: the cluster node holding the epochs role issues the first");
          return true;
        }
      } else {
        long seq;
        try {
          seq = Long.parseLong(p[3]);
        } catch (NumberFormatException x) {
          throw new RestApi.BadRequest("entropy sequence must be a number");
        }
        e = entropy.bySequence(seq);
      }
      if (e.isEmpty()) {
        RestApi.error(ex, 404, "no entropy #" + p[3]);
      } else if (Optional.ofNullable(ex.getRequestHeaders().getFirst("Accept")).orElse("").contains("application/x-protobuf")) {
        byte[] body = e.get().signed();
        ex.getResponseHeaders().set("Content-Type", "application/x-protobuf");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream os = ex.getResponseBody()) {
          os.write(body);
        }
      } else {
        RestApi.json(ex, 200, entropyJson(e.get()));
      }
      return true;
    }
    if (p.length == 5 && p[2].equals("epochs") && p[4].equals("coverage") && method.equals("GET")) {
      long n;
      try {
        n = Long.parseLong(p[3]);
      } catch (NumberFormatException x) {
        throw new RestApi.BadRequest("epoch must be a number");
      }
      if (epochs.store().epoch(n).isEmpty()) {
        RestApi.error(ex, 404, "epoch " + n + " is not closed");
        return true;
      }
      ArrayNode items = JSON.createArrayNode();
      for (CoverageSummary s : epochs.store().coverage(n)) {
        ObjectNode o = items.addObject();
        o.put("device_id", s.deviceId());
        o.put("beacons", s.beacons());
        o.put("valid_beacons", s.validBeacons());
        o.put("witnesses", s.witnesses());
        o.put("valid_witnesses", s.validWitnesses());
        o.put("selected_witnesses", s.selectedWitnesses());
        o.put("beacon_units", s.beaconUnits());
        o.put("witness_units", s.witnessUnits());
        o.put("units", s.units());
        o.put("hex_scale", s.hexScale());
        o.put("h3_cell", Long.toHexString(s.h3Cell()));
        o.put("reciprocal", s.reciprocal());
        if (!Double.isNaN(s.fitOffsetM())) {
          o.put("fit_offset_m", s.fitOffsetM());
        }
      }
      ObjectNode out = JSON.createObjectNode();
      out.put("epoch", n);
      out.set("items", items);
      RestApi.json(ex, 200, out);
      return true;
    }
    if (p.length == 4 && p[2].equals("coverage") && p[3].equals("denylist")) {
      switch (method) {
        case "GET" -> RestApi.json(ex, 200, denylistJson());
        case "POST" -> {
          if (!isOperator(ex)) {
            RestApi.error(ex, 403, "changing the coverage denylist is an operator action");
            return true;
          }
          JsonNode body;
          try {
            body = JSON.readTree(ex.getRequestBody().readNBytes(16 * 1024));
          } catch (IOException x) {
            throw new RestApi.BadRequest("expected JSON {\"device_id\": ..., \"other_device_id\": ..., \"since\": ..., \"reason\": ...}");
          }
          if (body == null || !body.isObject()) {
            throw new RestApi.BadRequest("expected a JSON object with device_id");
          }
          String device = deviceId(body.path("device_id").asText(""), "device_id");
          String other = body.hasNonNull("other_device_id") ? deviceId(body.get("other_device_id").asText(), "other_device_id") : null;
          long now = clock.millis();
          long openStart = epochs.schedule().startOf(epochs.currentEpoch());
          long since = now;
          if (body.hasNonNull("since")) {
            try {
              since = Instant.parse(body.get("since").asText()).toEpochMilli();
            } catch (DateTimeParseException x) {
              throw new RestApi.BadRequest("since must be an ISO-8601 time like 2026-11-24T00:00:00Z");
            }
            if (since < openStart) {
              throw new RestApi.BadRequest("since must not be before the open epoch's start " + Instant.ofEpochMilli(openStart)
                  + ": closed epochs' verdicts do not change");
            }
          }
          Denylist.Entry e;
          try {
            e = denylist.add(device, other, since, body.path("reason").asText(""));
          } catch (IllegalStateException x) {
            RestApi.error(ex, 500, x.getMessage());
            return true;
          }
          RestApi.json(ex, 201, entryJson(e));
        }
        case "DELETE" -> {
          if (!isOperator(ex)) {
            RestApi.error(ex, 403, "changing the coverage denylist is an operator action");
            return true;
          }
          String device = deviceId(q.getOrDefault("device_id", ""), "device_id");
          String other = q.containsKey("other_device_id") ? deviceId(q.get("other_device_id"), "other_device_id") : null;
          int ended;
          try {
            ended = denylist.end(device, other, clock.millis());
          } catch (IllegalStateException x) {
            RestApi.error(ex, 500, x.getMessage());
            return true;
          }
          ObjectNode o = JSON.createObjectNode();
          o.put("ended", ended);
          RestApi.json(ex, ended == 0 ? 404 : 200, o);
        }
        default -> RestApi.error(ex, 405, "the denylist takes GET, POST and DELETE");
      }
      return true;
    }
    return false;
  }

  private static String deviceId(String s, String field) {
    try {
      return DeviceId.parse(s.trim()).toString();
    } catch (RuntimeException e) {
      throw new RestApi.BadRequest(field + " must be a did:key device id, got '" + s + "'");
    }
  }

  private ObjectNode denylistJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("file", denylist.file() == null ? "" : denylist.file().toString());
    if (denylist.problem() != null) {
      o.put("problem", denylist.problem());
    }
    ArrayNode items = o.putArray("items");
    for (Denylist.Entry e : denylist.entries()) {
      items.add(entryJson(e));
    }
    return o;
  }

  private static ObjectNode entryJson(Denylist.Entry e) {
    ObjectNode o = JSON.createObjectNode();
    o.put("device_id", e.device());
    if (e.other() != null) {
      o.put("other_device_id", e.other());
    }
    o.put("since", Instant.ofEpochMilli(e.sinceMs()).toString());
    if (e.untilMs() != Long.MAX_VALUE) {
      o.put("until", Instant.ofEpochMilli(e.untilMs()).toString());
    }
    o.put("reason", e.reason());
    return o;
  }

  private ObjectNode entropyJson(EntropyStore.Stored s) {
    ObjectNode o = JSON.createObjectNode();
    o.put("sequence", s.entropy().sequence());
    o.put("entropy", HEX.formatHex(s.entropy().value()));
    o.put("issued_at", Instant.ofEpochMilli(s.entropy().issuedAtMs()).toString());
    o.put("issued_at_ms", s.entropy().issuedAtMs());
    o.put("expires_at", Instant.ofEpochMilli(s.entropy().expiresAtMs()).toString());
    o.put("expires_at_ms", s.entropy().expiresAtMs());
    o.put("signed_entropy", HEX.formatHex(s.signed()));
    o.put("coordinator_key", HEX.formatHex(coordinatorKey));
    o.put("mqtt_topic", EntropyService.TOPIC);
    return o;
  }
}
