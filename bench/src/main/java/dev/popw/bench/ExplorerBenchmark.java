package dev.popw.bench;

import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.store.AcceptedEnvelope;
import dev.popw.coordinator.store.RejectionRecord;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.validation.coverage.H3;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The explorer's first view with 100,000 envelopes stored, on the embedded default (H2): 1,000
 * devices (placed around Berlin), 100,000 accepted envelopes over the last 24 hours and 2,000
 * rejections, written with the store's own write ({@code EnvelopeStore.persist}; signing them is
 * not what is measured), 100 sealed batches. Then: the requests of the first view (the page, its
 * modules and style sheet, {@code /v1/network}, {@code /v1/devices?limit=20}) timed from Java, the
 * first time and the median of 20; and, when Node.js, playwright-core
 * (coordinator/src/test/browser) and /usr/bin/chromium are there, the time from navigation to
 * the Network view drawn in headless Chromium (first-view.mjs, fresh profile per run).
 *
 * <p>Usage: {@code bench/run explorer [--envelopes N] [--keep-running]}.
 */
public final class ExplorerBenchmark {
  private ExplorerBenchmark() {}

  public static void main(String[] args) throws Exception {
    int envelopes = 100_000;
    boolean keep = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--envelopes" -> envelopes = Integer.parseInt(args[++i]);
        case "--keep-running" -> keep = true;
        default -> {
          System.err.println("usage: ExplorerBenchmark [--envelopes N] [--keep-running]");
          System.exit(2);
        }
      }
    }
    Path dir = Files.createTempDirectory("popw-explorer-bench");
    CoordinatorSettings s = CoordinatorSettings.defaults().withNetwork("popw-bench").withDataDirectory(dir)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(0);
    // Epochs are not closed: the synthetic envelopes are not parsable telemetry, and closing is not what is measured.
    try (Coordinator c = Coordinator.builder(s).closeEpochsAutomatically(false).start()) {
      long t0 = System.nanoTime();
      fill(c.store(), envelopes);
      System.out.printf("stored %,d envelopes, 2%% as many rejections, 1,000 devices, 100 batches in %.1f s (H2, %s)%n", envelopes,
          (System.nanoTime() - t0) / 1e9, dir);
      String base = "http://127.0.0.1:" + c.apiPort();
      HttpClient http = HttpClient.newHttpClient();
      List<String> firstView = List.of("/explorer/", "/explorer/style.css", "/explorer/app.js", "/explorer/api.js", "/explorer/ui.js",
          "/explorer/view-network.js", "/explorer/view-map.js", "/explorer/view-device.js", "/explorer/view-envelope.js",
          "/explorer/view-owner.js", "/explorer/view-batch.js", "/explorer/view-search.js", "/v1/network", "/v1/devices?limit=20");
      double first = 0;
      for (String p : firstView) {
        first += time(http, base + p);
      }
      double[] warm = new double[20];
      double[] network = new double[20];
      for (int r = 0; r < warm.length; r++) {
        for (String p : firstView) {
          double ms = time(http, base + p);
          warm[r] += ms;
          if (p.equals("/v1/network")) {
            network[r] = ms;
          }
        }
      }
      Arrays.sort(warm);
      Arrays.sort(network);
      System.out.printf("first view's %d requests one after another: first time %.0f ms, median of 20 %.0f ms (/v1/network alone: median %.0f ms)%n",
          firstView.size(), first, warm[10], network[10]);
      System.out.printf("map (/v1/map/hexes, 1,000 placed devices): %.0f ms%n", time(http, base + "/v1/map/hexes"));
      Path scripts = Path.of("coordinator/src/test/browser");
      if (Files.exists(scripts.resolve("node_modules/playwright-core")) && Files.isExecutable(Path.of("/usr/bin/chromium"))) {
        Process p = new ProcessBuilder("node", "first-view.mjs", base, "5").directory(scripts.toFile()).inheritIO().start();
        p.waitFor();
      } else {
        System.out.println("(no browser figure: npm ci in coordinator/src/test/browser and apt-get install chromium for it)");
      }
      if (keep) {
        System.out.println("explorer: " + base + "/explorer/  (Ctrl-C to stop)");
        Thread.currentThread().join();
      }
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static double time(HttpClient http, String url) throws Exception {
    long t = System.nanoTime();
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(url + " answered " + r.statusCode());
    }
    return (System.nanoTime() - t) / 1e6;
  }

  private static void fill(Store store, int envelopes) {
    Random rnd = new Random(7);
    SecureRandom sr = new SecureRandom();
    List<String> devices = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (int d = 0; d < 1_000; d++) {
      SoftwareSigner k = SoftwareSigner.generate(KeyType.ED25519, sr);
      double lat = 52.3 + rnd.nextDouble() * 0.4;
      double lon = 13.1 + rnd.nextDouble() * 0.6;
      store.devices().upsertDevice(k.deviceId(), d % 3 == 0 ? "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" : "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
          1 + d % 3, lat, lon, H3.get().latLngToCell(lat, lon, 9), now - 86_400_000L, new byte[] {1});
      devices.add(k.deviceId().toString());
    }
    long[] seq = new long[devices.size()];
    String[] reasons = {"STALE", "EQUIVOCATION", "DEVICE_INACTIVE", "CLOCK_SKEW"};
    for (int done = 0; done < envelopes; ) {
      List<AcceptedEnvelope> acc = new ArrayList<>();
      List<RejectionRecord> rej = new ArrayList<>();
      for (int i = 0; i < 1_000 && done < envelopes; i++, done++) {
        int d = done % devices.size();
        long at = now - 86_400_000L + (long) done * 86_400_000L / envelopes;
        byte[] hash = new byte[32];
        rnd.nextBytes(hash);
        acc.add(new AcceptedEnvelope(hash, devices.get(d), ++seq[d], at, at, 8, 0, new byte[200]));
        if (done % 50 == 0) {
          byte[] h2 = new byte[32];
          rnd.nextBytes(h2);
          rej.add(new RejectionRecord(devices.get(d), seq[d] + 1000, h2, reasons[done % reasons.length], "benchmark rejection", at, null, null));
        }
      }
      store.envelopes().persist(acc, rej);
    }
    for (int b = 1; b <= 100; b++) {
      byte[] root = new byte[32];
      rnd.nextBytes(root);
      store.batches().insertBatch(b, root, 1_000, now - (100 - b) * 60_000L);
    }
  }
}
