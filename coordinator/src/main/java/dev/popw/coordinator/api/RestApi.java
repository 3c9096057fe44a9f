package dev.popw.coordinator.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.popw.coordinator.batch.Batcher;
import dev.popw.coordinator.batch.InclusionProof;
import dev.popw.coordinator.store.BatchSettlement;
import dev.popw.coordinator.registry.DeviceRegistry;
import dev.popw.coordinator.registry.RegistrationException;
import dev.popw.coordinator.store.AcceptedEnvelope;
import dev.popw.coordinator.store.DeviceRecord;
import dev.popw.coordinator.store.EnvelopeRow;
import dev.popw.coordinator.store.RejectionRecord;
import dev.popw.coordinator.store.SealedBatch;
import dev.popw.coordinator.store.Store;
import dev.popw.identity.DeviceId;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's HTTP API (JSON), on the JDK's built-in HTTP server. Endpoints:
 *
 * <pre>
 *   POST /v1/devices                       register: body = signed registration (binary), or
 *                                          JSON {"registration": "&lt;base64&gt;"}
 *   GET  /v1/devices/{id}                  a device, its accepted count and rejections by reason
 *   GET  /v1/devices/{id}/envelopes        its accepted envelopes, newest first; ?offset=&amp;limit=
 *   GET  /v1/devices/{id}/certificate      its MQTT client certificate (PEM), then the device CA's
 *   GET  /v1/envelopes/{hash}              status, reason, batch and Merkle proof of one envelope
 *   GET  /v1/batches                       sealed batches, newest first; ?offset=&amp;limit=
 *   GET  /v1/batches/{id}                  one batch, with settlement status, tx hash and block
 *   GET  /v1/envelopes/{hash}/receipt      the signed protobuf Receipt (SignedReceipt) with batch, proof and settlement
 *   GET  /v1/chain                         chain id, RPC URL, contract addresses, committer account
 *   GET  /metrics                          Prometheus
 *   GET  /health                           liveness, and whether MQTT ingest is connected
 * </pre>
 *
 * the work layer's endpoints (verdicts, epochs): {@link WorkRoutes}, and the operator actions
 * under {@code /v1/operator/}, which need a token: {@link OperatorRoutes}. Every request first
 * passes {@link RequestGuard} (rate limit, token, body size, read deadline, worker pool), on the
 * I/O threads of {@link ApiThreads}; the limits are {@link ApiSettings}.
 *
 * Every JSON field of every endpoint is documented in docs/coordinator.md ("JSON fields"); a change
 * here changes a public contract.
 */
public final class RestApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RestApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final Store store;
  private final DeviceRegistry registry;
  private final Batcher batcher;
  private final Metrics metrics;
  private final Supplier<Map<String, Object>> health;

  /** The chain a coordinator settles on: shown with batches and put into receipts. */
  public record ChainInfo(long chainId, String rpcUrl, String deviceRegistry, String batchRegistry, String committer) {}

  private final ChainInfo chain;
  private final WorkRoutes work;
  private final OperatorRoutes operator;
  private final ExplorerRoutes explorer;
  private final ApiThreads threads;
  private final java.util.List<Routes> routes = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** More endpoints, mounted with {@link #mount}: answers a request and returns true, or returns false when the path is not its own. */
  public interface Routes {
    boolean handle(HttpExchange ex, String method, String[] p, Map<String, String> q) throws IOException;
  }

  /** Mounts more endpoints; they are asked before the work layer's. */
  public void mount(Routes r) {
    routes.add(r);
  }
  private final dev.popw.identity.DeviceSigner receiptKey;
  private volatile dev.popw.coordinator.pki.DeviceCertificateAuthority deviceCa;

  public RestApi(String host, int port, Store store, DeviceRegistry registry, Batcher batcher, Metrics metrics,
      Supplier<Map<String, Object>> health, ChainInfo chain, dev.popw.identity.DeviceSigner receiptKey) throws IOException {
    this(host, port, store, registry, batcher, metrics, health, chain, null, null, receiptKey, ApiSettings.defaults());
  }

  /**
   * With the work layer's endpoints ({@link WorkRoutes}) when {@code epochs} is not null, and the
   * limits and operator tokens of {@code api}.
   */
  public RestApi(String host, int port, Store store, DeviceRegistry registry, Batcher batcher, Metrics metrics,
      Supplier<Map<String, Object>> health, ChainInfo chain, dev.popw.coordinator.epoch.EpochManager epochs,
      java.time.Clock clock, dev.popw.identity.DeviceSigner receiptKey, ApiSettings api) throws IOException {
    this.receiptKey = java.util.Objects.requireNonNull(receiptKey, "receiptKey");
    this.chain = chain;
    this.work = epochs == null ? null : new WorkRoutes(epochs, store.envelopes(), clock);
    this.store = store;
    this.registry = registry;
    this.batcher = batcher;
    this.metrics = metrics;
    this.health = health;
    this.operator = new OperatorRoutes(registry, store.devices(), this::deviceJson, metrics);
    this.explorer = new ExplorerRoutes(store, epochs, clock, this::deviceJson, this::batchJson, chain != null);
    JdkServerSettings.apply(api);
    threads = new ApiThreads(api.threads(), api.readTimeout(), api.writeTimeout(), reason -> metrics.apiRefusals(reason).run());
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 64);
    } catch (IOException | RuntimeException e) {
      threads.close();
      throw e;
    }
    server.setExecutor(threads);
    server.createContext("/", new RequestGuard(api, threads, metrics, this::route));
  }

  public void start() {
    server.start();
  }

  /** Serves devices' client certificates from this CA (GET /v1/devices/{id}/certificate); without one, that endpoint is 404. */
  /** The explorer map's tile layer ({@code [explorer] tile_url}, {z}/{x}/{y}); null for none. */
  public RestApi explorerTiles(String url, String attribution) {
    explorer.tiles(url, attribution);
    return this;
  }

  public RestApi deviceCertificates(dev.popw.coordinator.pki.DeviceCertificateAuthority ca) {
    this.deviceCa = ca;
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Routes a request that {@link RequestGuard} let through (on a {@link BufferedExchange}). */
  private void route(HttpExchange ex) throws IOException {
    try {
      String path = java.util.Objects.requireNonNullElse(ex.getRequestURI().getPath(), ""); // null for an opaque URI
      String method = ex.getRequestMethod();
      Map<String, String> q = query(ex.getRequestURI().getRawQuery());
      String[] p = segments(ex.getRequestURI().getRawPath());
      if (path.equals("/health")) {
        json(ex, 200, JSON.valueToTree(health.get()));
      } else if (path.equals("/metrics")) {
        send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape().getBytes(StandardCharsets.UTF_8));
      } else if (path.equals("/v1/devices") && method.equals("POST")) {
        register(ex);
      } else if (p.length == 4 && p[1].equals("v1") && p[2].equals("devices") && method.equals("GET")) {
        device(ex, p[3]);
      } else if (p.length == 5 && p[1].equals("v1") && p[2].equals("devices") && p[4].equals("certificate") && method.equals("GET")) {
        certificate(ex, p[3]);
      } else if (p.length == 5 && p[1].equals("v1") && p[2].equals("devices") && p[4].equals("envelopes") && method.equals("GET")) {
        envelopes(ex, p[3], intParam(q, "offset", 0, 0, Integer.MAX_VALUE), intParam(q, "limit", 100, 1, 1000));
      } else if (p.length == 4 && p[1].equals("v1") && p[2].equals("envelopes") && method.equals("GET")) {
        envelope(ex, p[3]);
      } else if (p.length == 5 && p[1].equals("v1") && p[2].equals("envelopes") && p[4].equals("receipt") && method.equals("GET")) {
        receipt(ex, p[3]);
      } else if (path.equals("/v1/chain") && method.equals("GET")) {
        if (chain == null) {
          error(ex, 404, "this coordinator does not settle on a chain (chain.mode = off)");
        } else {
          ObjectNode n = JSON.createObjectNode();
          n.put("chain_id", chain.chainId());
          n.put("rpc_url", chain.rpcUrl());
          n.put("device_registry", chain.deviceRegistry());
          n.put("batch_registry", chain.batchRegistry());
          n.put("committer", chain.committer());
          json(ex, 200, n);
        }
      } else if (path.equals("/v1/batches") && method.equals("GET")) {
        ArrayNode items = JSON.createArrayNode();
        store.batches().batches(intParam(q, "offset", 0, 0, Integer.MAX_VALUE), intParam(q, "limit", 100, 1, 1000)).forEach(b -> items.add(batchJson(b)));
        json(ex, 200, JSON.createObjectNode().set("items", items));
      } else if (p.length == 4 && p[1].equals("v1") && p[2].equals("batches") && method.equals("GET")) {
        long id;
        try {
          id = Long.parseLong(p[3]);
        } catch (NumberFormatException e) {
          throw new BadRequest("batch id must be a number");
        }
        Optional<SealedBatch> b = store.batches().batch(id);
        if (b.isEmpty()) {
          error(ex, 404, "no batch " + id);
        } else {
          json(ex, 200, batchJson(b.get()));
        }
      } else if (OperatorRoutes.covers(path)) {
        if (!operator.handle(ex, method, p)) {
          error(ex, 404, "no such endpoint: " + method + " " + path);
        }
      } else if (explorer.handle(ex, method, p, q) || mounted(ex, method, p, q) || (work != null && work.handle(ex, method, p, q))) {
        return;
      } else {
        error(ex, 404, "no such endpoint: " + method + " " + path);
      }
    } catch (BadRequest e) {
      error(ex, 400, e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("API request {} failed", ex.getRequestURI(), e);
      error(ex, 500, "internal error: " + e.getMessage());
    } finally {
      ex.close();
    }
  }

  private boolean mounted(HttpExchange ex, String method, String[] p, Map<String, String> q) throws IOException {
    for (Routes r : routes) {
      if (r.handle(ex, method, p, q)) {
        return true;
      }
    }
    return false;
  }

  private void register(HttpExchange ex) throws IOException {
    byte[] body = ex.getRequestBody().readAllBytes(); // at most api.max_body_bytes (RequestGuard)
    String type = Optional.ofNullable(ex.getRequestHeaders().getFirst("Content-Type")).orElse("");
    byte[] signed = body;
    if (type.startsWith("application/json")) {
      try {
        signed = Base64.getDecoder().decode(JSON.readTree(body).path("registration").asText());
      } catch (IOException | IllegalArgumentException e) {
        throw new BadRequest("expected JSON {\"registration\": \"<base64 of the signed registration>\"}");
      }
    }
    try {
      DeviceId id = registry.register(signed);
      DeviceRecord r = store.devices().device(id.toString()).orElseThrow();
      // The device pins this key to check receipts (docs/delivery.md, "Receipts").
      json(ex, 201, deviceJson(r).put("coordinator_key", HexFormat.of().formatHex(receiptKey.publicKey())));
    } catch (RegistrationException e) {
      throw new BadRequest(e.getMessage());
    }
  }

  private void device(HttpExchange ex, String id) throws IOException {
    Optional<DeviceRecord> r = store.devices().device(id);
    if (r.isEmpty()) {
      error(ex, 404, "no registered device " + id);
      return;
    }
    ObjectNode n = deviceJson(r.get());
    n.put("accepted", store.envelopes().countAccepted(id));
    n.set("rejections", JSON.valueToTree(store.envelopes().rejectionCounts(id)));
    n.put("rejections_dropped", store.envelopes().rejectionsDropped(id));
    if (work != null) {
      work.decorateDevice(n, id);
    }
    json(ex, 200, n);
  }

  /**
   * A registered, active device's MQTT client certificate for its own key, followed by the device
   * CA's certificate (PEM). Public information: only the holder of the device's private key can use
   * it, in the TLS handshake.
   */
  private void certificate(HttpExchange ex, String id) throws IOException {
    dev.popw.coordinator.pki.DeviceCertificateAuthority ca = deviceCa;
    if (ca == null) {
      error(ex, 404, "this coordinator issues no device certificates");
      return;
    }
    Optional<DeviceRecord> r = store.devices().device(id);
    if (r.isEmpty()) {
      metrics.deviceCertificate("unknown_device");
      error(ex, 404, "no registered device " + id);
      return;
    }
    if (!r.get().active()) {
      metrics.deviceCertificate("inactive");
      error(ex, 403, "device " + id + " is INACTIVE; it gets a certificate again once it registers again");
      return;
    }
    java.security.cert.X509Certificate cert;
    try {
      cert = ca.issueDevice(r.get().id());
    } catch (dev.popw.coordinator.pki.PkiException e) {
      if (!e.unsupportedKey()) {
        throw e;
      }
      metrics.deviceCertificate("unsupported_key");
      error(ex, 409, e.getMessage());
      return;
    }
    metrics.deviceCertificate("issued");
    send(ex, 200, "application/x-pem-file",
        dev.popw.coordinator.pki.DeviceCertificateAuthority.pem(cert, ca.certificate()).getBytes(StandardCharsets.US_ASCII));
  }

  private void envelopes(HttpExchange ex, String id, int offset, int limit) throws IOException {
    ArrayNode items = JSON.createArrayNode();
    for (EnvelopeRow e : store.envelopes().envelopesOf(id, offset, limit)) {
      items.add(envelopeJson(e));
    }
    ObjectNode n = JSON.createObjectNode();
    n.put("device_id", id);
    n.put("offset", offset);
    n.put("limit", limit);
    n.put("total", store.envelopes().countAccepted(id));
    n.set("items", items);
    json(ex, 200, n);
  }

  /** The protobuf receipt of an accepted envelope, with batch, proof and settlement once sealed. */
  private void receipt(HttpExchange ex, String hashHex) throws IOException {
    byte[] hash = envelopeHash(hashHex);
    Optional<EnvelopeRow> row = store.envelopes().envelope(hash);
    if (row.isEmpty()) {
      error(ex, 404, "no accepted envelope " + hashHex + " (a rejected one has no settlement receipt; see /v1/envelopes/" + hashHex + ")");
      return;
    }
    dev.popw.proto.v1.Receipt.Builder r = dev.popw.proto.v1.Receipt.newBuilder()
        .setEnvelopeHash(com.google.protobuf.ByteString.copyFrom(hash))
        .setSequence(row.get().sequence())
        .setStatus(dev.popw.proto.v1.Receipt.Status.ACCEPTED)
        .setCoordinatorTimeMs(System.currentTimeMillis());
    try {
      r.setDeviceId(com.google.protobuf.ByteString.copyFrom(DeviceId.parse(row.get().deviceId()).toBytes()));
    } catch (RuntimeException e) {
      // stored ids are valid did:keys; bound by the envelope hash regardless
    }
    Optional<InclusionProof> proof = batcher.proof(hash);
    if (proof.isPresent()) {
      SealedBatch b = proof.get().batch();
      r.setBatchId(b.id()).setMerkleRoot(com.google.protobuf.ByteString.copyFrom(b.merkleRoot()));
      proof.get().proof().forEach(x -> r.addMerkleProof(com.google.protobuf.ByteString.copyFrom(x)));
      Optional<BatchSettlement> st = store.batches().settlement(b.id());
      if (st.isPresent()) {
        r.setBatchStatus(dev.popw.proto.v1.Receipt.BatchStatus.valueOf(st.get().status()));
        if (st.get().txHash() != null) {
          r.setTxHash(com.google.protobuf.ByteString.copyFrom(HexFormat.of().parseHex(st.get().txHash().substring(2))));
        }
        if (st.get().blockNumber() != null) {
          r.setBlockNumber(st.get().blockNumber());
        }
      }
      if (chain != null) {
        r.setChainId(chain.chainId())
            .setBatchRegistry(com.google.protobuf.ByteString.copyFrom(HexFormat.of().parseHex(chain.batchRegistry().substring(2))))
            .setCommitter(com.google.protobuf.ByteString.copyFrom(HexFormat.of().parseHex(chain.committer().substring(2))));
      }
    }
    send(ex, 200, "application/x-protobuf", dev.popw.receipt.Receipts.sign(r.build(), receiptKey));
  }

  static byte[] envelopeHash(String hashHex) {
    byte[] hash;
    try {
      hash = HexFormat.of().parseHex(hashHex.regionMatches(true, 0, "0x", 0, 2) ? hashHex.substring(2) : hashHex);
    } catch (IllegalArgumentException e) {
      throw new BadRequest("envelope hash must be 64 hex digits");
    }
    if (hash.length != 32) {
      throw new BadRequest("envelope hash must be 64 hex digits");
    }
    return hash;
  }

  private void envelope(HttpExchange ex, String hashHex) throws IOException {
    byte[] hash;
    try {
      hash = HexFormat.of().parseHex(hashHex.regionMatches(true, 0, "0x", 0, 2) ? hashHex.substring(2) : hashHex);
    } catch (IllegalArgumentException e) {
      throw new BadRequest("envelope hash must be 64 hex digits");
    }
    if (hash.length != 32) {
      throw new BadRequest("envelope hash must be 64 hex digits");
    }
    Optional<EnvelopeRow> row = store.envelopes().envelope(hash);
    if (row.isPresent()) {
      ObjectNode n = envelopeJson(row.get());
      n.put("status", "ACCEPTED");
      Optional<InclusionProof> proof = batcher.proof(hash);
      if (proof.isPresent()) {
        n.set("batch", batchJson(proof.get().batch()));
        ArrayNode siblings = n.putArray("merkle_proof");
        proof.get().proof().forEach(s -> siblings.add("0x" + HexFormat.of().formatHex(s)));
        if (chain != null) {
          // The contract's own check, for a client to send to the chain itself (eth_call): the explorer's "verify inclusion".
          ObjectNode call = n.putObject("verify_call");
          call.put("to", chain.batchRegistry());
          call.put("data", dev.popw.coordinator.chain.ProofBatchRegistryContract.verifyEnvelopeData(chain.committer(),
              proof.get().batch().id(), hash, proof.get().proof()));
        }
      }
      if (work != null) {
        n.set("verdict", work.verdictOf(hash));
      }
      json(ex, 200, n);
      return;
    }
    Optional<RejectionRecord> rej = store.envelopes().rejectionOf(hash);
    if (rej.isPresent()) {
      ObjectNode n = JSON.createObjectNode();
      n.put("envelope_hash", HexFormat.of().formatHex(hash));
      n.put("status", "REJECTED");
      n.put("reason", rej.get().reason());
      n.put("detail", rej.get().detail());
      n.put("device_id", rej.get().deviceId());
      if (rej.get().sequence() != null) {
        n.put("sequence", unsigned(rej.get().sequence()));
      }
      n.put("received_at", rej.get().receivedAt());
      json(ex, 200, n);
      return;
    }
    error(ex, 404, "no envelope with hash " + hashHex);
  }

  private ObjectNode deviceJson(DeviceRecord r) {
    ObjectNode n = JSON.createObjectNode();
    n.put("device_id", r.id().toString());
    n.put("key_type", r.id().keyType().label());
    n.put("owner", r.owner());
    n.put("kind", switch (r.kind()) {
      case 1 -> "SENSOR";
      case 2 -> "COVERAGE";
      case 3 -> "GPU";
      default -> "UNKNOWN";
    });
    n.put("status", r.active() ? "ACTIVE" : "INACTIVE");
    r.id().evmAddress().ifPresent(a -> n.put("device_address", a.toString()));
    if (r.latitude() != null) {
      n.put("latitude", r.latitude());
      n.put("longitude", r.longitude());
    }
    if (r.h3Cell() != null) {
      n.put("h3_cell", Long.toHexString(r.h3Cell()));
    }
    n.put("registered_at", r.registeredAt());
    store.devices().keyStorage(r.id()).ifPresent(k -> {
      n.put("key_storage", k[0]);
      n.put("key_storage_detail", k[1]);
    });
    String[] onChain = store.devices().deviceChain(r.id());
    if (chain != null && onChain != null) {
      n.put("chain_status", onChain[0] == null ? "PENDING" : onChain[0]);
      if (onChain[1] != null) {
        n.put("chain_tx", onChain[1]);
      }
      if (onChain[2] != null) {
        n.put("chain_note", onChain[2]);
      }
    }
    return n;
  }

  private static ObjectNode envelopeJson(EnvelopeRow e) {
    ObjectNode n = JSON.createObjectNode();
    n.put("envelope_hash", HexFormat.of().formatHex(e.hash()));
    n.put("device_id", e.deviceId());
    n.put("sequence", unsigned(e.sequence()));
    n.put("device_time", unsigned(e.deviceTime()));
    n.put("received_at", e.receivedAt());
    n.put("payload", switch (e.payloadKind()) {
      case 8 -> "sensor";
      case 9 -> "coverage";
      case 10 -> "gpu";
      default -> "unknown";
    });
    ArrayNode flags = n.putArray("flags");
    if ((e.flags() & AcceptedEnvelope.Flags.BACKFILL) != 0) {
      flags.add("BACKFILL");
    }
    if ((e.flags() & AcceptedEnvelope.Flags.CHAIN_GAP) != 0) {
      flags.add("CHAIN_GAP");
    }
    if ((e.flags() & AcceptedEnvelope.Flags.SIMULATED) != 0) {
      flags.add("SIMULATED");
    }
    if (e.batchId() != null) {
      n.put("batch_id", e.batchId());
    }
    return n;
  }

  private ObjectNode batchJson(SealedBatch b) {
    ObjectNode n = JSON.createObjectNode();
    n.put("batch_id", b.id());
    n.put("merkle_root", "0x" + HexFormat.of().formatHex(b.merkleRoot()));
    n.put("envelope_count", b.envelopeCount());
    n.put("sealed_at", b.sealedAt());
    Optional<BatchSettlement> st = store.batches().settlement(b.id());
    n.put("status", st.map(BatchSettlement::status).orElse(BatchSettlement.SEALED));
    st.ifPresent(x -> {
      if (x.txHash() != null) {
        n.put("tx_hash", x.txHash());
      }
      if (x.blockNumber() != null) {
        n.put("block_number", x.blockNumber());
      }
      if (x.confirmedAt() != null) {
        n.put("confirmed_at", x.confirmedAt());
      }
      if (x.note() != null) {
        n.put("settlement_note", x.note());
      }
    });
    if (chain != null) {
      n.put("chain_id", chain.chainId());
      n.put("batch_registry", chain.batchRegistry());
      n.put("committer", chain.committer());
    }
    return n;
  }

  /** A uint64 of the wire format held in a long: printed as the unsigned number it is. */
  static java.math.BigInteger unsigned(long v) {
    return v >= 0 ? java.math.BigInteger.valueOf(v) : new java.math.BigInteger(Long.toUnsignedString(v));
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> m = new HashMap<>();
    if (raw == null) {
      return m;
    }
    for (String kv : raw.split("&")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        m.put(decode(kv.substring(0, eq)), decode(kv.substring(eq + 1)));
      }
    }
    return m;
  }

  /**
   * The path's segments, each percent-decoded once: the raw path is split first, so an encoded
   * '/' stays in its segment and an id is not decoded twice. Trailing slashes do not count.
   */
  static String[] segments(String rawPath) {
    if (rawPath == null) {
      return new String[0]; // an opaque URI ("x:y"): no path, no route
    }
    int end = rawPath.length();
    while (end > 0 && rawPath.charAt(end - 1) == '/') {
      end--; // not the regex "/+$", which backtracks quadratically over a long run of slashes
    }
    String[] p = rawPath.substring(0, end).split("/");
    for (int i = 0; i < p.length; i++) {
      p[i] = p[i].indexOf('%') < 0 ? p[i] : decode(p[i].replace("+", "%2B")); // '+' is no space in a path
    }
    return p;
  }

  /** Percent-decoding of a query parameter or path segment; a malformed escape is the client's mistake. */
  static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new BadRequest("malformed percent-encoding in '" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'");
    }
  }

  static int intParam(Map<String, String> q, String name, int dflt, int min, int max) {
    String v = q.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw new BadRequest(name + " must be between " + min + " and " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new BadRequest(name + " must be a number");
    }
  }

  static void json(HttpExchange ex, int status, Object body) throws IOException {
    send(ex, status, "application/json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body));
  }

  static void error(HttpExchange ex, int status, String message) throws IOException {
    json(ex, status, Map.of("error", message));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.close();
  }

  static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message);
    }
  }
}
