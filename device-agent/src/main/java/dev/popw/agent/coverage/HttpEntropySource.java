package dev.popw.agent.coverage;

import dev.popw.entropy.EntropyCheck;
import dev.popw.entropy.EntropyTrust;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;

/**
 * Fetches the coordinator's current entropy from its API ({@code GET /v1/entropy} as a protobuf
 * {@code SignedEntropy}) and checks it with {@link EntropyTrust}: the coordinator key the device
 * pinned, its network and its age on the device's clock. A beacon is sent only with entropy that
 * passed, so a stranger in the middle cannot make the device beacon with entropy of its choosing.
 */
public final class HttpEntropySource implements EntropySource {
  private final URI uri;
  private final EntropyTrust trust;
  private final Clock clock;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public HttpEntropySource(String apiUrl, EntropyTrust trust, Clock clock) {
    this.uri = URI.create(apiUrl.replaceAll("/+$", "") + "/v1/entropy");
    this.trust = trust;
    this.clock = clock;
  }

  @Override
  public EntropyCheck fetch() {
    byte[] body;
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
          .header("Accept", "application/x-protobuf").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        return new EntropyCheck(null, dev.popw.entropy.EntropyFailure.MALFORMED, uri + " answered HTTP " + r.statusCode());
      }
      body = r.body();
    } catch (java.io.IOException e) {
      return new EntropyCheck(null, dev.popw.entropy.EntropyFailure.MALFORMED, "cannot fetch entropy from " + uri + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new EntropyCheck(null, dev.popw.entropy.EntropyFailure.MALFORMED, "interrupted while fetching entropy");
    }
    return trust.check(body, clock.millis());
  }

  @Override
  public String toString() {
    return uri + " (" + trust + ")";
  }
}
