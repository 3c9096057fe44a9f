package dev.popw.coordinator.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpExchange;
import dev.popw.coordinator.data.DataService;
import dev.popw.coordinator.store.CreditStore;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.validation.CoverageSummary;
import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.WorkKind;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;

/**
 * The paid data API (docs/rewards.md, "Data credits"): every answer item costs the consumer's
 * account {@code data.credits_per_message} credits.
 *
 * <pre>
 *   GET /v1/data/account                  the consumer's credits (free)
 *   GET /v1/data/readings?kind=&amp;cursor=&amp;limit=&amp;wait=   accepted envelopes of a kind, signed bytes included, in receipt order;
 *                                         wait=N long-polls up to N s for new ones (the stream)
 *   GET /v1/data/coverage                 the coverage map of the newest closed epoch, one item per H3 hex
 *   GET /v1/data/gpu                      GPU capacity of the newest closed epoch, one item per device
 * </pre>
 */
public final class DataRoutes implements RestApi.Routes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();

  private final DataService data;
  private final Store store;
  private final Semaphore waiting = new Semaphore(2); // long polls hold an API worker: at most two at a time

  public DataRoutes(DataService data, Store store) {
    this.data = data;
    this.store = store;
  }

  @Override
  public boolean handle(HttpExchange ex, String method, String[] p, Map<String, String> q) throws IOException {
    if (p.length != 4 || !p[1].equals("v1") || !p[2].equals("data")) {
      return false;
    }
    if (!method.equals("GET")) {
      RestApi.error(ex, 405, "the data API takes GET");
      return true;
    }
    try {
      String account = data.free() ? null : data.authenticate(ex.getRequestHeaders().getFirst("Authorization"));
      switch (p[3]) {
        case "account" -> account(ex, account);
        case "readings" -> readings(ex, account, q);
        case "coverage" -> coverage(ex, account);
        case "gpu" -> gpu(ex, account);
        default -> RestApi.error(ex, 404, "no data endpoint '" + p[3] + "' (account, readings, coverage, gpu)");
      }
    } catch (DataService.Refused r) {
      RestApi.error(ex, r.status, r.getMessage());
    }
    return true;
  }

  private void account(HttpExchange ex, String account) throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.put("credits_per_message", data.settings().creditsPerMessage());
    if (account != null) {
      DataService.Balance b = data.balance(account);
      o.put("account", account);
      o.put("credits", b.onChain().toString());
      o.put("unsettled", b.unsettled());
      o.put("available", b.available().toString());
    }
    RestApi.json(ex, 200, o);
  }

  private void readings(HttpExchange ex, String account, Map<String, String> q) throws IOException {
    WorkKind kind;
    try {
      kind = WorkKind.valueOf(q.getOrDefault("kind", "sensor").toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new RestApi.BadRequest("kind is sensor, coverage or gpu");
    }
    int limit = RestApi.intParam(q, "limit", 100, 1, data.settings().maxPage());
    int wait = RestApi.intParam(q, "wait", 0, 0, (int) data.settings().maxWait().toSeconds());
    long at = 0;
    int skip = 0;
    String cursor = q.get("cursor");
    if (cursor != null) {
      String[] f = cursor.split("\\.");
      try {
        at = Long.parseLong(f[0]);
        skip = Integer.parseInt(f[1]);
      } catch (RuntimeException e) {
        throw new RestApi.BadRequest("cursor is the next_cursor of an earlier answer (<ms>.<n>)");
      }
    }
    List<CreditStore.DataRow> rows = store.credits().after(kind.payloadNumber(), at, skip, limit);
    if (rows.isEmpty() && wait > 0 && waiting.tryAcquire()) {
      try {
        long until = System.nanoTime() + wait * 1_000_000_000L;
        while (rows.isEmpty() && System.nanoTime() < until) {
          Thread.sleep(200);
          rows = store.credits().after(kind.payloadNumber(), at, skip, limit);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        waiting.release();
      }
    }
    int paid = data.charge(account, rows.size());
    rows = rows.subList(0, paid);
    ArrayNode items = JSON.createArrayNode();
    for (CreditStore.DataRow r : rows) {
      ObjectNode o = items.addObject();
      o.put("device_id", r.deviceId());
      o.put("sequence", r.sequence());
      o.put("envelope_hash", HEX.formatHex(r.hash()));
      o.put("received_at", r.receivedAt());
      o.put("envelope", Base64.getEncoder().encodeToString(r.envelope()));
      Optional<dev.popw.coordinator.store.VerdictStore.StoredVerdict> v = store.verdicts().verdictOf(r.hash());
      o.put("verdict", v.map(x -> x.verdict().status().name() + (x.verdict().isValid() ? "" : " " + x.verdict().reason())).orElse("PENDING"));
      if (kind == WorkKind.SENSOR) {
        ArrayNode ms = o.putArray("measurements");
        try {
          Telemetry t = Telemetry.parseFrom(SignedEnvelope.parseFrom(r.envelope()).getTelemetry());
          for (Measurement m : t.getSensor().getMeasurementsList()) {
            ms.addObject().put("quantity", m.getQuantity().name().toLowerCase(Locale.ROOT)).put("value", m.getValue())
                .put("unit", m.getUnit().name().toLowerCase(Locale.ROOT));
          }
        } catch (InvalidProtocolBufferException e) {
          // stored envelopes parse; the signed bytes are served in any case
        }
      }
    }
    String next;
    if (rows.isEmpty()) {
      next = at + "." + skip;
    } else {
      long last = rows.get(rows.size() - 1).receivedAt();
      long sameLast = rows.stream().filter(r -> r.receivedAt() == last).count();
      next = last + "." + (last == at ? skip + sameLast : sameLast);
    }
    ObjectNode o = JSON.createObjectNode();
    o.put("kind", kind.name().toLowerCase(Locale.ROOT));
    o.put("charged", data.free() ? 0 : (long) rows.size() * data.settings().creditsPerMessage());
    o.put("next_cursor", next);
    o.set("items", items);
    RestApi.json(ex, 200, o);
  }

  private long newestClosed() {
    return store.verdicts().lastClosed().orElseThrow(() -> new DataService.Refused(404, "no epoch has closed yet"));
  }

  private void coverage(HttpExchange ex, String account) throws IOException {
    long epoch = newestClosed();
    Map<Long, long[]> hexes = new TreeMap<>();
    Map<Long, Double> units = new TreeMap<>();
    for (CoverageSummary c : store.verdicts().coverage(epoch)) {
      if (c.h3Cell() == 0) {
        continue;
      }
      long[] n = hexes.computeIfAbsent(c.h3Cell(), k -> new long[3]);
      n[0]++;
      n[1] += c.validBeacons();
      n[2] += c.validWitnesses();
      units.merge(c.h3Cell(), c.units(), Double::sum);
    }
    List<Long> cells = new ArrayList<>(hexes.keySet());
    int paid = data.charge(account, cells.size());
    ArrayNode items = JSON.createArrayNode();
    for (long cell : cells.subList(0, paid)) {
      long[] n = hexes.get(cell);
      items.addObject().put("h3", Long.toHexString(cell)).put("devices", n[0]).put("valid_beacons", n[1]).put("valid_witnesses", n[2])
          .put("units", units.get(cell));
    }
    ObjectNode o = JSON.createObjectNode();
    o.put("epoch", epoch);
    o.put("charged", data.free() ? 0 : (long) paid * data.settings().creditsPerMessage());
    o.set("items", items);
    RestApi.json(ex, 200, o);
  }

  private void gpu(HttpExchange ex, String account) throws IOException {
    long epoch = newestClosed();
    List<DeviceEpochSummary> gpus = store.verdicts().summaries(epoch).stream().filter(s -> s.kind() == WorkKind.GPU).toList();
    int paid = data.charge(account, gpus.size());
    ArrayNode items = JSON.createArrayNode();
    for (DeviceEpochSummary s : gpus.subList(0, paid)) {
      items.addObject().put("device_id", s.deviceId()).put("units", s.units()).put("completeness", s.completeness())
          .put("explanation", s.explanation());
    }
    ObjectNode o = JSON.createObjectNode();
    o.put("epoch", epoch);
    o.put("charged", data.free() ? 0 : (long) paid * data.settings().creditsPerMessage());
    o.set("items", items);
    RestApi.json(ex, 200, o);
  }
}
