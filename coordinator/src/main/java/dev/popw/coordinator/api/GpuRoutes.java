package dev.popw.coordinator.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popw.coordinator.store.GpuChallengeStore;
import dev.popw.coordinator.validation.ChallengeRecord;
import dev.popw.gpuproof.ProofParameters;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * GPU capacity challenges (docs/gpu-proofs.md), mounted through {@link WorkRoutes}:
 *
 * <pre>
 *   GET /v1/devices/{id}/challenges   a device's challenges, newest first; ?offset=&amp;limit=
 *   GET /v1/challenges/{id}           one challenge
 * </pre>
 *
 * The open seed (which tiles are opened) is never shown; everything else of the record is.
 */
final class GpuRoutes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();

  private final GpuChallengeStore store;
  private final Clock clock;

  GpuRoutes(GpuChallengeStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  boolean handle(com.sun.net.httpserver.HttpExchange ex, String[] p, Map<String, String> q) throws java.io.IOException {
    if (p[2].equals("devices") && p.length == 5 && p[4].equals("challenges")) {
      String id = p[3]; // segments arrive decoded
      int offset = RestApi.intParam(q, "offset", 0, 0, Integer.MAX_VALUE);
      int limit = RestApi.intParam(q, "limit", 50, 1, 1000);
      ArrayNode items = JSON.createArrayNode();
      store.challengesOf(id, offset, limit).forEach(r -> items.add(json(r)));
      ObjectNode o = JSON.createObjectNode();
      o.put("device_id", id);
      o.put("offset", offset);
      o.put("limit", limit);
      o.put("total", store.countOf(id));
      o.set("items", items);
      RestApi.json(ex, 200, o);
      return true;
    }
    if (p[2].equals("challenges") && p.length == 4) {
      long id;
      try {
        id = Long.parseLong(p[3]);
      } catch (NumberFormatException e) {
        throw new RestApi.BadRequest("a challenge id is a number");
      }
      Optional<GpuChallengeStore.ChallengeRow> r = store.row(id);
      if (r.isEmpty()) {
        RestApi.error(ex, 404, "no GPU challenge " + id);
      } else {
        RestApi.json(ex, 200, json(r.get()));
      }
      return true;
    }
    return false;
  }

  private ObjectNode json(GpuChallengeStore.ChallengeRow row) {
    ChallengeRecord c = row.record();
    ProofParameters p = c.parameters();
    ObjectNode o = JSON.createObjectNode();
    o.put("challenge_id", c.id());
    o.put("device_id", c.deviceId());
    o.put("gpu_uuid", c.gpuUuid());
    o.put("gpu_class", c.gpuClass());
    o.put("n", p.n());
    o.put("tile", p.tile());
    o.put("matrices", p.matrices());
    o.put("operations", p.operations());
    o.put("tiles", p.leaves());
    o.put("probe_bytes", p.probeBytes());
    o.put("opened_tiles", c.openedTiles());
    o.put("probe_reads", c.probeReads());
    o.put("seed", "0x" + HEX.formatHex(p.seed()));
    o.put("issued_at", Instant.ofEpochMilli(c.issuedAt()).toString());
    o.put("commit_deadline_ms", c.commitDeadlineMs());
    o.put("too_fast_ms", c.tooFastMs());
    o.put("open_deadline_ms", c.openDeadlineMs());
    o.put("expires_at", Instant.ofEpochMilli(c.expiresAt()).toString());
    if (c.openIssuedAt() != null) {
      o.put("open_issued_at", Instant.ofEpochMilli(c.openIssuedAt()).toString());
    }
    if (row.root() != null) {
      o.put("root", "0x" + HEX.formatHex(row.root()));
    }
    String state = row.verdict() != null ? "DECIDED" : row.liveStatus() != null ? "CHECKED" : c.expiresAt() < clock.millis() ? "EXPIRED"
        : c.openIssuedAt() != null ? "OPENING" : "ISSUED";
    o.put("state", state);
    if (row.liveStatus() != null) {
      ObjectNode live = o.putObject("live_check");
      live.put("status", row.liveStatus());
      live.put("reason", row.liveReason());
      live.put("explanation", row.liveExplanation());
    }
    if (row.verdict() != null) {
      ObjectNode v = o.putObject("verdict");
      v.put("status", row.verdict().status().name());
      v.put("reason", row.verdict().reason());
      v.put("explanation", row.verdict().explanation());
      v.put("units", row.verdict().units());
      v.put("epoch", row.epoch());
    }
    return o;
  }
}
