package dev.popw.coordinator.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.uber.h3core.H3Core;
import com.uber.h3core.util.LatLng;
import dev.popw.coordinator.epoch.EpochManager;
import dev.popw.coordinator.epoch.EpochSchedule;
import dev.popw.coordinator.store.DeviceRecord;
import dev.popw.coordinator.store.ExplorerQueries;
import dev.popw.coordinator.store.RejectionRecord;
import dev.popw.coordinator.store.SealedBatch;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.validation.coverage.H3;
import dev.popw.identity.EvmAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The explorer (docs/explorer.md): its static page under {@code /explorer/} (ES modules from the
 * jar's {@code explorer/} resources, no build step), and the list and summary endpoints it reads,
 * mounted in {@link RestApi}:
 *
 * <pre>
 *   GET /                                 redirects to /explorer/
 *   GET /explorer/                        the explorer page; /explorer/{file} its modules and style sheet
 *   GET /v1/network                       devices by kind and status, envelopes per hour, batches by status, epoch
 *   GET /v1/devices                       registered devices, newest first; ?kind=&amp;status=&amp;owner=&amp;offset=&amp;limit=
 *   GET /v1/devices/{id}/rejections       a device's stored rejections, newest first; ?offset=&amp;limit=
 *   GET /v1/owners/{address}              an owner's devices by kind and status
 *   GET /v1/map/hexes                     devices per H3 cell with the cell's boundary; ?resolution=0..15
 *   GET /v1/search?q=                     what a device id, envelope hash, owner address or batch id names
 * </pre>
 */
final class ExplorerRoutes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();
  private static final Pattern ASSET = Pattern.compile("[a-z0-9][a-z0-9_-]*\\.(js|css|html|svg)");
  private static final Pattern OWNER = Pattern.compile("0[xX][0-9a-fA-F]{40}");
  private static final Pattern HASH = Pattern.compile("(0[xX])?[0-9a-fA-F]{64}");
  private static final Pattern NUMBER = Pattern.compile("[0-9]{1,18}");
  /** Hours of traffic in {@code /v1/network}. */
  static final int HOURS = 24;
  /** At most this many placed devices are drawn on the map. */
  static final int MAP_DEVICES = 10_000;

  private final Store store;
  private final ExplorerQueries q;
  private final EpochManager epochs;
  private final Clock clock;
  private final Function<DeviceRecord, ObjectNode> deviceJson;
  private final Function<SealedBatch, ObjectNode> batchJson;
  private final boolean chain;

  ExplorerRoutes(Store store, EpochManager epochs, Clock clock, Function<DeviceRecord, ObjectNode> deviceJson,
      Function<SealedBatch, ObjectNode> batchJson, boolean chain) {
    this.store = store;
    this.q = store.explorer();
    this.epochs = epochs;
    this.clock = clock == null ? Clock.systemUTC() : clock;
    this.deviceJson = deviceJson;
    this.batchJson = batchJson;
    this.chain = chain;
  }

  private volatile String tileUrl; // explorer.tile_url, or null: no outside request
  private volatile String tileAttribution;

  /** The operator's tile layer for the map ({@code [explorer]}); null for none. */
  void tiles(String url, String attribution) {
    this.tileUrl = url;
    this.tileAttribution = attribution;
  }

  /** The tile server's origin (scheme://host[:port]), which the page may load images from. */
  static String origin(String url) {
    java.net.URI u = java.net.URI.create(url.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"));
    return u.getScheme() + "://" + u.getRawAuthority();
  }

  /** Answers an explorer request; false when the path is not one of its own. */
  boolean handle(HttpExchange ex, String method, String[] p, Map<String, String> query) throws IOException {
    if (!method.equals("GET")) {
      return false;
    }
    String raw = java.util.Objects.requireNonNullElse(ex.getRequestURI().getRawPath(), "");
    if (raw.equals("/") || raw.equals("/explorer")) {
      ex.getResponseHeaders().set("Location", "/explorer/");
      send(ex, 302, "text/plain; charset=utf-8", "see /explorer/\n".getBytes(StandardCharsets.UTF_8));
      return true;
    }
    if (p.length >= 2 && p[1].equals("explorer")) {
      asset(ex, p.length == 2 ? "index.html" : p.length == 3 ? p[2] : "");
      return true;
    }
    if (!method.equals("GET") || p.length < 3 || !p[1].equals("v1")) {
      return false;
    }
    if (p.length == 3 && p[2].equals("network")) {
      RestApi.json(ex, 200, network());
    } else if (p.length == 3 && p[2].equals("devices")) {
      RestApi.json(ex, 200, deviceList(query));
    } else if (p.length == 5 && p[2].equals("devices") && p[4].equals("rejections")) {
      rejections(ex, p[3], query);
    } else if (p.length == 4 && p[2].equals("owners")) {
      owner(ex, p[3]);
    } else if (p.length == 4 && p[2].equals("map") && p[3].equals("hexes")) {
      RestApi.json(ex, 200, hexes(RestApi.intParam(query, "resolution", 7, 0, 15)));
    } else if (p.length == 3 && p[2].equals("search")) {
      RestApi.json(ex, 200, search(query.getOrDefault("q", "")));
    } else {
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- the page

  private void asset(HttpExchange ex, String name) throws IOException {
    if (ASSET.matcher(name).matches()) {
      try (InputStream in = ExplorerRoutes.class.getResourceAsStream("/explorer/" + name)) {
        if (in != null) {
          String type = switch (name.substring(name.lastIndexOf('.') + 1)) {
            case "js" -> "text/javascript; charset=utf-8";
            case "css" -> "text/css; charset=utf-8";
            case "svg" -> "image/svg+xml";
            default -> "text/html; charset=utf-8";
          };
          ex.getResponseHeaders().set("Cache-Control", "no-cache");
          ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
          // Scripts and styles only from the coordinator; the chain's RPC may be anywhere ("verify inclusion").
          ex.getResponseHeaders().set("Content-Security-Policy",
              "default-src 'self'; img-src 'self' data:" + (tileUrl == null ? "" : " " + origin(tileUrl))
                  + "; connect-src *; frame-ancestors 'none'; base-uri 'none'");
          send(ex, 200, type, in.readAllBytes());
          return;
        }
      }
    }
    send(ex, 404, "text/html; charset=utf-8", ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Not found</title>"
        + "<p>The explorer has no file by that name. <a href=\"/explorer/\">Open the explorer</a>.</p></html>\n")
        .getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  // ---------------------------------------------------------------- the endpoints

  private ObjectNode network() {
    long now = clock.millis();
    ObjectNode n = JSON.createObjectNode();
    n.put("now", now);
    ObjectNode devices = n.putObject("devices");
    ObjectNode byKind = JSON.createObjectNode();
    long total = 0;
    for (Map.Entry<Integer, Map<String, Long>> e : q.deviceCounts().entrySet()) {
      ObjectNode k = byKind.putObject(kindName(e.getKey()));
      for (Map.Entry<String, Long> s : e.getValue().entrySet()) {
        k.put(s.getKey(), s.getValue());
        total += s.getValue();
      }
    }
    devices.put("total", total);
    devices.set("by_kind", byKind);
    ObjectNode env = n.putObject("envelopes");
    env.put("accepted", q.acceptedTotal());
    env.put("rejected", q.rejectedTotal());
    ArrayNode hours = n.putArray("hours");
    for (ExplorerQueries.Hour h : q.hours(now, HOURS)) {
      ObjectNode o = hours.addObject();
      o.put("start", h.start());
      o.put("accepted", h.accepted());
      o.put("rejected", h.rejected());
      o.set("by_reason", JSON.valueToTree(h.rejectedByReason()));
    }
    ObjectNode batches = n.putObject("batches");
    Map<String, Long> byStatus = new TreeMap<>(store.batches().settlementCounts());
    batches.put("total", byStatus.values().stream().mapToLong(Long::longValue).sum());
    batches.set("by_status", JSON.valueToTree(byStatus));
    ArrayNode latest = batches.putArray("latest");
    store.batches().batches(0, 5).forEach(b -> latest.add(batchJson.apply(b)));
    n.put("chain", chain);
    if (epochs != null) {
      EpochSchedule s = epochs.schedule();
      long e = s.epochOf(now);
      ObjectNode o = n.putObject("epoch");
      o.put("epoch", e);
      o.put("start", Instant.ofEpochMilli(s.startOf(e)).toString());
      o.put("end", Instant.ofEpochMilli(s.endOf(e)).toString());
      o.put("end_ms", s.endOf(e));
      o.put("seconds_left", Math.max(0, (s.endOf(e) - now) / 1000));
      o.put("length_seconds", s.length().toSeconds());
    }
    return n;
  }

  private ObjectNode deviceList(Map<String, String> query) {
    Integer kind = query.containsKey("kind") ? kindNumber(query.get("kind")) : null;
    String status = null;
    if (query.containsKey("status")) {
      status = query.get("status").toUpperCase(Locale.ROOT);
      if (!status.equals("ACTIVE") && !status.equals("INACTIVE")) {
        throw new RestApi.BadRequest("status must be ACTIVE or INACTIVE");
      }
    }
    String owner = query.containsKey("owner") ? owner(query.get("owner")) : null;
    int offset = RestApi.intParam(query, "offset", 0, 0, Integer.MAX_VALUE);
    int limit = RestApi.intParam(query, "limit", 100, 1, 1000);
    ObjectNode n = JSON.createObjectNode();
    n.put("offset", offset);
    n.put("limit", limit);
    n.put("total", q.countDevices(kind, status, owner));
    ArrayNode items = n.putArray("items");
    q.devices(kind, status, owner, offset, limit).forEach(d -> items.add(deviceJson.apply(d)));
    return n;
  }

  private void rejections(HttpExchange ex, String id, Map<String, String> query) throws IOException {
    if (store.devices().device(id).isEmpty()) {
      RestApi.error(ex, 404, "no registered device " + id);
      return;
    }
    int offset = RestApi.intParam(query, "offset", 0, 0, Integer.MAX_VALUE);
    int limit = RestApi.intParam(query, "limit", 100, 1, 1000);
    ObjectNode n = JSON.createObjectNode();
    n.put("device_id", id);
    n.put("offset", offset);
    n.put("limit", limit);
    ArrayNode items = n.putArray("items");
    for (RejectionRecord r : q.rejectionsOf(id, offset, limit)) {
      ObjectNode o = items.addObject();
      if (r.hash() != null) {
        o.put("envelope_hash", HEX.formatHex(r.hash()));
      }
      if (r.sequence() != null) {
        o.put("sequence", RestApi.unsigned(r.sequence()));
      }
      o.put("reason", r.reason());
      o.put("detail", r.detail());
      o.put("received_at", r.receivedAt());
    }
    RestApi.json(ex, 200, n);
  }

  private void owner(HttpExchange ex, String address) throws IOException {
    String owner = owner(address);
    long total = q.countDevices(null, null, owner);
    if (total == 0) {
      RestApi.error(ex, 404, "no registered device is owned by " + owner);
      return;
    }
    ObjectNode n = JSON.createObjectNode();
    n.put("owner", owner);
    ObjectNode devices = n.putObject("devices");
    devices.put("total", total);
    ObjectNode byKind = devices.putObject("by_kind");
    for (int kind = 1; kind <= 3; kind++) {
      for (String status : List.of("ACTIVE", "INACTIVE")) {
        long c = q.countDevices(kind, status, owner);
        if (c > 0) {
          ObjectNode k = byKind.has(kindName(kind)) ? (ObjectNode) byKind.get(kindName(kind)) : byKind.putObject(kindName(kind));
          k.put(status, c);
        }
      }
    }
    RestApi.json(ex, 200, n);
  }

  private ObjectNode hexes(int resolution) {
    H3Core h3 = H3.get();
    Map<Long, long[]> cells = new LinkedHashMap<>(); // devices, active, sensor, coverage, gpu, valid, invalid
    List<ExplorerQueries.PlacedDevice> placed = q.placedDevices(MAP_DEVICES + 1);
    for (ExplorerQueries.PlacedDevice d : placed.subList(0, Math.min(placed.size(), MAP_DEVICES))) {
      long cell;
      try {
        int r = h3.getResolution(d.h3Cell());
        cell = r <= resolution ? d.h3Cell() : h3.cellToParent(d.h3Cell(), resolution);
      } catch (RuntimeException e) {
        continue; // not a valid cell: not drawn
      }
      long[] c = cells.computeIfAbsent(cell, k -> new long[7]);
      c[0]++;
      c[1] += d.active() ? 1 : 0;
      if (d.kind() >= 1 && d.kind() <= 3) {
        c[1 + d.kind()]++;
      }
      c[5] += d.valid();
      c[6] += d.invalid();
    }
    ObjectNode n = JSON.createObjectNode();
    n.put("resolution", resolution);
    n.put("truncated", placed.size() > MAP_DEVICES);
    n.put("tile_url", tileUrl);
    n.put("tile_attribution", tileAttribution);
    ArrayNode items = n.putArray("items");
    for (Map.Entry<Long, long[]> e : cells.entrySet()) {
      long[] c = e.getValue();
      ObjectNode o = items.addObject();
      o.put("cell", Long.toHexString(e.getKey()));
      o.put("devices", c[0]);
      o.put("active", c[1]);
      ObjectNode k = o.putObject("by_kind");
      k.put("SENSOR", c[2]);
      k.put("COVERAGE", c[3]);
      k.put("GPU", c[4]);
      o.put("valid", c[5]);
      o.put("invalid", c[6]);
      LatLng center = h3.cellToLatLng(e.getKey());
      o.putArray("center").add(round(center.lat)).add(round(center.lng));
      ArrayNode boundary = o.putArray("boundary");
      for (LatLng v : h3.cellToBoundary(e.getKey())) {
        boundary.addArray().add(round(v.lat)).add(round(v.lng));
      }
    }
    return n;
  }

  private static double round(double deg) {
    return Math.round(deg * 1e6) / 1e6;
  }

  private ObjectNode search(String raw) {
    String s = raw.strip();
    if (s.length() > 200) {
      throw new RestApi.BadRequest("a search is at most 200 characters");
    }
    ObjectNode n = JSON.createObjectNode();
    n.put("query", s);
    ArrayNode results = n.putArray("results");
    if (s.startsWith("did:key:")) {
      store.devices().device(s).ifPresent(d -> result(results, "device", d.id().toString(), kindName(d.kind()) + " device, owner " + d.owner()));
    } else if (OWNER.matcher(s).matches()) {
      try {
        String owner = EvmAddress.parse(s).toString();
        long c = q.countDevices(null, null, owner);
        if (c > 0) {
          result(results, "owner", owner, "owner of " + c + " device" + (c == 1 ? "" : "s"));
        }
      } catch (IllegalArgumentException e) {
        n.put("hint", e.getMessage());
      }
    } else if (HASH.matcher(s).matches()) {
      byte[] hash = RestApi.envelopeHash(s);
      if (store.envelopes().envelope(hash).isPresent()) {
        result(results, "envelope", HEX.formatHex(hash), "accepted envelope");
      } else if (store.envelopes().rejectionOf(hash).isPresent()) {
        result(results, "envelope", HEX.formatHex(hash), "rejected envelope");
      }
    } else if (NUMBER.matcher(s).matches()) {
      long id = Long.parseLong(s);
      store.batches().batch(id).ifPresent(b -> result(results, "batch", Long.toString(id), "batch of " + b.envelopeCount() + " envelopes"));
    } else if (!s.isEmpty()) {
      n.put("hint", "search for a device id (did:key:z…), an envelope hash (64 hex digits), an owner address (0x and 40 hex digits)"
          + " or a batch id (a number)");
    }
    return n;
  }

  private static void result(ArrayNode results, String type, String id, String label) {
    ObjectNode o = results.addObject();
    o.put("type", type);
    o.put("id", id);
    o.put("label", label);
  }

  private static String owner(String address) {
    try {
      return EvmAddress.parse(address).toString();
    } catch (IllegalArgumentException e) {
      throw new RestApi.BadRequest(e.getMessage());
    }
  }

  static String kindName(int kind) {
    return switch (kind) {
      case 1 -> "SENSOR";
      case 2 -> "COVERAGE";
      case 3 -> "GPU";
      default -> "UNKNOWN";
    };
  }

  private static int kindNumber(String kind) {
    return switch (kind.toUpperCase(Locale.ROOT)) {
      case "SENSOR" -> 1;
      case "COVERAGE" -> 2;
      case "GPU" -> 3;
      default -> throw new RestApi.BadRequest("kind must be SENSOR, COVERAGE or GPU");
    };
  }
}
