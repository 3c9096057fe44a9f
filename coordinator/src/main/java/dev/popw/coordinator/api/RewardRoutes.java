package dev.popw.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.coordinator.chain.ChainException;
import dev.popw.coordinator.chain.RewardsContracts;
import dev.popw.coordinator.rewards.DeviceReward;
import dev.popw.coordinator.rewards.OwnerReward;
import dev.popw.coordinator.rewards.RewardsService;
import dev.popw.coordinator.rewards.RewardStore;
import dev.popw.identity.EvmAddress;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The rewards endpoints (docs/rewards.md, "API"):
 *
 * <pre>
 *   GET  /v1/owners/{address}/rewards   an owner's rewards per epoch and device, its proof and claim calldata
 *   GET  /v1/devices/{id}/rewards       a device's rewards per epoch and pool; ?offset=&amp;limit=
 *   POST /v1/devices/{id}/consent       the owner's EIP-712 consent: {"owner", "signature"}
 *   GET  /v1/rewards                    epochs with rewards, newest first; ?offset=&amp;limit=
 *   GET  /v1/epochs/{n}/rewards         one epoch's split, root and on-chain status
 * </pre>
 */
public final class RewardRoutes implements RestApi.Routes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();

  private final RewardsService rewards;
  private final RewardStore store;
  private final java.util.function.Function<String, Optional<String>> ownerOf;
  private final Object treeLock = new Object();
  private long treeEpoch = Long.MIN_VALUE; // guarded by treeLock
  private MerkleTree tree;
  private Map<String, Integer> leafIndex;
  private List<OwnerReward> treeOwners;

  /** @param ownerOf a device's registered owner */
  public RewardRoutes(RewardsService rewards, java.util.function.Function<String, Optional<String>> ownerOf) {
    this.rewards = rewards;
    this.store = rewards.store();
    this.ownerOf = ownerOf;
  }

  @Override
  public boolean handle(HttpExchange ex, String method, String[] p, Map<String, String> q) throws IOException {
    if (p.length < 3 || !p[1].equals("v1")) {
      return false;
    }
    if (p.length == 5 && p[2].equals("owners") && p[4].equals("rewards")) {
      if (!method.equals("GET")) {
        RestApi.error(ex, 405, "owner rewards take GET");
      } else {
        owner(ex, p[3]);
      }
      return true;
    }
    if (p.length == 5 && p[2].equals("devices") && p[4].equals("rewards")) {
      if (!method.equals("GET")) {
        RestApi.error(ex, 405, "device rewards take GET");
      } else {
        device(ex, p[3], q);
      }
      return true;
    }
    if (p.length == 5 && p[2].equals("devices") && p[4].equals("consent")) {
      if (!method.equals("POST")) {
        RestApi.error(ex, 405, "a consent is POSTed");
      } else {
        consent(ex, p[3]);
      }
      return true;
    }
    if (p.length == 3 && p[2].equals("rewards")) {
      int offset = RestApi.intParam(q, "offset", 0, 0, Integer.MAX_VALUE);
      int limit = RestApi.intParam(q, "limit", 50, 1, 500);
      ArrayNode items = JSON.createArrayNode();
      store.rows(offset, limit).forEach(r -> items.add(epochJson(r)));
      ObjectNode o = JSON.createObjectNode();
      o.put("offset", offset);
      o.put("limit", limit);
      o.put("parameters", rewards.engine().settings().canonical());
      if (rewards.chain().isPresent()) {
        RewardsContracts c = rewards.chain().get().contracts();
        ObjectNode cj = o.putObject("contracts");
        cj.put("token", c.token());
        cj.put("distributor", c.distributor());
        cj.put("credits", c.credits());
        cj.put("price_feed", c.priceFeed());
        cj.put("staking", c.staking());
      } else {
        o.putNull("contracts");
      }
      o.set("items", items);
      RestApi.json(ex, 200, o);
      return true;
    }
    if (p.length == 5 && p[2].equals("epochs") && p[4].equals("rewards")) {
      long epoch;
      try {
        epoch = Long.parseLong(p[3]);
      } catch (NumberFormatException e) {
        throw new RestApi.BadRequest("an epoch is a number");
      }
      Optional<RewardStore.Row> r = store.row(epoch);
      if (r.isEmpty()) {
        RestApi.error(ex, 404, "no rewards for epoch " + epoch + " (not closed yet, or closed before rewards were enabled)");
      } else {
        RestApi.json(ex, 200, epochJson(r.get()));
      }
      return true;
    }
    return false;
  }

  private ObjectNode epochJson(RewardStore.Row r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("epoch", r.epoch());
    o.put("token_epoch", r.tokenEpoch());
    o.put("emission", r.emission().toString());
    o.put("burned_previous", r.burnedPrevious().toString());
    o.put("distributable", r.distributable().toString());
    o.put("unallocated", r.unallocated().toString());
    o.put("total_owed", r.totalOwed().toString());
    ArrayNode pools = o.putArray("pools");
    for (String part : r.pools().split(",")) {
      String[] f = part.split(":");
      ObjectNode pj = pools.addObject();
      pj.put("pool", f[0]);
      pj.put("amount", f[1]);
      pj.put("units", Long.parseLong(f[2]) / 1e6);
    }
    o.put("root", "0x" + HEX.formatHex(r.root()));
    o.put("rewards_hash", "0x" + HEX.formatHex(r.hash()));
    o.put("parameters", r.parameters());
    o.put("chain_status", r.chainStatus());
    o.put("chain_tx", r.chainTx());
    o.put("chain_note", r.chainNote());
    return o;
  }

  private void owner(HttpExchange ex, String address) throws IOException {
    String owner;
    try {
      owner = EvmAddress.parse(address).toString().toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new RestApi.BadRequest("not an EVM address: " + e.getMessage());
    }
    Optional<RewardStore.Row> latest = store.latest();
    List<Long> paidEpochs = new ArrayList<>();
    List<OwnerReward> paid = store.paidTo(owner, paidEpochs);
    List<Long> epochs = store.epochsOfOwner(owner, 100);
    if (latest.isEmpty() || (paid.isEmpty() && epochs.isEmpty())) {
      RestApi.error(ex, 404, latest.isEmpty() ? "no rewards computed yet" : "no rewards for " + owner + ": none of its devices has"
          + " done work in an epoch with rewards (its devices must be registered to this address)");
      return;
    }
    Map<Long, OwnerReward> paidBy = new HashMap<>();
    for (int i = 0; i < paid.size(); i++) {
      paidBy.put(paidEpochs.get(i), paid.get(i));
    }
    BigInteger cumulative = paid.isEmpty() ? BigInteger.ZERO : paid.get(paid.size() - 1).cumulative();
    ObjectNode o = JSON.createObjectNode();
    o.put("owner", owner);
    o.put("cumulative", cumulative.toString());
    o.put("latest_epoch", latest.get().epoch());
    // the proof is for the root on-chain (the newest committed), or without a chain for the newest computed
    Optional<RewardStore.Row> rootRow = rewards.chain().isPresent() ? newestCommitted() : latest;
    BigInteger claimed = null;
    if (rewards.chain().isPresent()) {
      try {
        claimed = rewards.chain().get().contracts().claimedOf(rewards.chain().get().client(), owner);
      } catch (ChainException e) {
        o.put("chain_error", e.getMessage());
      }
    }
    o.put("claimed", claimed == null ? null : claimed.toString());
    if (rootRow.isPresent() && rootRow.get().root().length == 32 && !java.util.Arrays.equals(rootRow.get().root(), new byte[32])) {
      RewardStore.Row rr = rootRow.get();
      o.put("root_epoch", rr.epoch());
      o.put("root", "0x" + HEX.formatHex(rr.root()));
      o.put("root_status", rr.chainStatus());
      Leaf leaf = leaf(rr.epoch(), owner);
      if (leaf != null) {
        o.put("proof_cumulative", leaf.cumulative.toString());
        ArrayNode proof = o.putArray("proof");
        leaf.proof.forEach(b -> proof.add("0x" + HEX.formatHex(b)));
        o.put("claimable", claimed == null ? null : leaf.cumulative.subtract(claimed).max(BigInteger.ZERO).toString());
        if (rewards.chain().isPresent()) {
          ObjectNode claim = o.putObject("claim");
          claim.put("to", rewards.chain().get().contracts().token());
          claim.put("calldata", RewardsContracts.claimData(owner, leaf.cumulative, leaf.proof));
        } else {
          o.putNull("claim");
        }
      } else {
        o.putNull("claimable");
        o.putNull("claim");
        o.putArray("proof");
      }
    } else {
      o.putNull("root");
      o.putNull("claimable");
      o.putNull("claim");
      o.putArray("proof");
    }
    ArrayNode list = o.putArray("epochs");
    java.util.TreeSet<Long> all = new java.util.TreeSet<>(java.util.Comparator.reverseOrder());
    all.addAll(epochs);
    all.addAll(paidEpochs);
    int n = 0;
    for (long e : all) {
      if (n++ >= 100) {
        break;
      }
      ObjectNode ej = list.addObject();
      ej.put("epoch", e);
      OwnerReward pr = paidBy.get(e);
      ej.put("amount", pr == null ? "0" : pr.amount().toString());
      ej.put("cumulative", pr != null ? pr.cumulative().toString() : cumulativeAt(paid, paidEpochs, e).toString());
      ArrayNode devs = ej.putArray("devices");
      for (DeviceReward d : store.devicesOfOwner(owner, e)) {
        devs.add(deviceJson(d, null));
      }
    }
    RestApi.json(ex, 200, o);
  }

  private static BigInteger cumulativeAt(List<OwnerReward> paid, List<Long> epochs, long e) {
    BigInteger c = BigInteger.ZERO;
    for (int i = 0; i < paid.size() && epochs.get(i) <= e; i++) {
      c = paid.get(i).cumulative();
    }
    return c;
  }

  private Optional<RewardStore.Row> newestCommitted() {
    int offset = 0;
    while (true) {
      List<RewardStore.Row> page = store.rows(offset, 100);
      for (RewardStore.Row r : page) {
        if (r.chainStatus().equals("COMMITTED")) {
          return Optional.of(r);
        }
      }
      if (page.size() < 100) {
        return Optional.empty();
      }
      offset += 100;
    }
  }

  private record Leaf(BigInteger cumulative, List<byte[]> proof) {}

  /** An owner's leaf and proof in an epoch's tree; the newest tree asked for is kept. */
  private Leaf leaf(long epoch, String owner) {
    synchronized (treeLock) {
      if (treeEpoch != epoch) {
        treeOwners = new ArrayList<>();
        store.cumulativeUpTo(epoch, true).forEach((o, c) -> treeOwners.add(new OwnerReward(o, BigInteger.ZERO, c)));
        tree = dev.popw.coordinator.rewards.EpochRewards.treeOf(treeOwners);
        leafIndex = new HashMap<>();
        for (int i = 0; i < treeOwners.size(); i++) {
          leafIndex.put(treeOwners.get(i).owner(), i);
        }
        treeEpoch = epoch;
      }
      Integer i = leafIndex.get(owner);
      if (i == null || tree == null) {
        return null;
      }
      OwnerReward o = treeOwners.get(i);
      return new Leaf(o.cumulative(), tree.proofOfLeaf(MerkleTree.leaf(EvmAddress.parse(o.owner()), o.cumulative())));
    }
  }

  private ObjectNode deviceJson(DeviceReward d, Long epoch) {
    ObjectNode dj = JSON.createObjectNode();
    if (epoch != null) {
      dj.put("epoch", epoch);
    }
    dj.put("device_id", d.deviceId());
    dj.put("kind", d.pool().kind().name().toLowerCase(Locale.ROOT));
    dj.put("pool", d.pool().key());
    dj.put("units", d.units());
    dj.put("amount", d.amount().toString());
    dj.put("zero_reason", d.zeroReason() == null ? null : d.zeroReason().name());
    dj.put("explanation", d.explanation());
    return dj;
  }

  private void device(HttpExchange ex, String id, Map<String, String> q) throws IOException {
    int offset = RestApi.intParam(q, "offset", 0, 0, Integer.MAX_VALUE);
    int limit = RestApi.intParam(q, "limit", 100, 1, 1000);
    List<Long> epochs = new ArrayList<>();
    List<DeviceReward> rows = store.devicesOf(id, offset, limit, epochs);
    Optional<String> owner = ownerOf.apply(id);
    if (rows.isEmpty() && owner.isEmpty()) {
      RestApi.error(ex, 404, "no device " + id);
      return;
    }
    ObjectNode o = JSON.createObjectNode();
    o.put("device_id", id);
    o.put("owner", owner.map(s -> s.toLowerCase(Locale.ROOT)).orElse(null));
    o.put("consented", store.consentOwner(id).isPresent() && owner.isPresent() && store.consentOwner(id).get().equalsIgnoreCase(owner.get()));
    o.put("offset", offset);
    o.put("limit", limit);
    ArrayNode list = o.putArray("epochs");
    for (int i = 0; i < rows.size(); i++) {
      list.add(deviceJson(rows.get(i), epochs.get(i)));
    }
    RestApi.json(ex, 200, o);
  }

  private void consent(HttpExchange ex, String id) throws IOException {
    JsonNode body;
    try {
      body = JSON.readTree(ex.getRequestBody().readNBytes(4096));
    } catch (IOException e) {
      throw new RestApi.BadRequest("expected JSON {\"owner\": \"0x…\", \"signature\": \"0x<65 bytes>\"}");
    }
    if (body == null || !body.path("owner").isTextual() || !body.path("signature").isTextual()) {
      throw new RestApi.BadRequest("expected JSON {\"owner\": \"0x…\", \"signature\": \"0x<65 bytes>\"}");
    }
    byte[] sig;
    try {
      String s = body.get("signature").asText();
      sig = HEX.parseHex(s.startsWith("0x") ? s.substring(2) : s);
    } catch (IllegalArgumentException e) {
      throw new RestApi.BadRequest("signature is not hex");
    }
    String owner = body.get("owner").asText();
    try {
      EvmAddress.parse(owner);
      rewards.consent(id, owner, sig);
    } catch (IllegalArgumentException e) {
      RestApi.error(ex, e.getMessage().startsWith("no device") ? 404 : 400, e.getMessage());
      return;
    }
    ObjectNode o = JSON.createObjectNode();
    o.put("device_id", id);
    o.put("owner", owner.toLowerCase(Locale.ROOT));
    o.put("consented", true);
    RestApi.json(ex, 201, o);
  }
}
