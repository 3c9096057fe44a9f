package dev.popw.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.testing.Await;
import dev.popw.testing.DeliveryAssertions;
import dev.popw.testing.DeviceProcessMain;
import dev.popw.testing.Mosquitto;
import dev.popw.testing.MqttReceiptResponder;
import dev.popw.testing.ReceivedEnvelope;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario b: the device process is killed with SIGKILL mid-stream and started again. Nothing it
 * had reported as queued is lost, and no sequence number is used twice.
 */
class DeviceCrashIT {
  @TempDir Path tmp;

  @Test
  void sigkill_mid_stream_loses_no_queued_envelope_and_reuses_no_sequence_number() throws Exception {
    Path key = tmp.resolve("device.key");
    KeyFiles.generate(KeyType.ED25519, key);
    Path state = tmp.resolve("state");
    try (Mosquitto broker = Mosquitto.start(tmp.resolve("broker"));
        MqttReceiptResponder coordinator = MqttReceiptResponder.connect(broker.tcpUri())) {
      coordinator.answering(false); // receipts withheld, so entries pile up in the outbox
      Map<Long, String> queued = new TreeMap<>();

      // First life: killed after 150 envelopes are durably queued.
      Process first = device(broker.tcpUri(), state, key, 100_000);
      int firstCount = readQueued(first, queued, 150);
      first.destroyForcibly(); // SIGKILL on Linux
      assertTrue(first.waitFor(10, TimeUnit.SECONDS));
      assertEquals(150, firstCount);
      long lastOfFirstLife = ((TreeMap<Long, String>) queued).lastKey();

      // Second life: the outbox still holds everything; sequence numbers continue above.
      coordinator.answering(true);
      Process second = device(broker.tcpUri(), state, key, 100);
      int secondCount = readQueued(second, queued, Integer.MAX_VALUE);
      assertTrue(second.waitFor(90, TimeUnit.SECONDS), "second life did not finish");
      assertEquals(0, second.exitValue());
      assertEquals(100, secondCount);

      assertEquals(250, queued.size(), "no sequence number printed twice");
      List<Long> secondLife = queued.keySet().stream().filter(s -> s > lastOfFirstLife).toList();
      assertEquals(100, secondLife.size(), "second life numbers are all above the first life's");

      Await.until(Duration.ofSeconds(30), () -> coordinator.received().stream().map(ReceivedEnvelope::sequence)
          .collect(java.util.stream.Collectors.toSet()).containsAll(queued.keySet()), () -> "not all queued envelopes arrived");
      DeliveryAssertions.assertCompleteChain(coordinator.received(), Set.copyOf(queued.keySet()));
      for (ReceivedEnvelope r : coordinator.received()) {
        if (queued.containsKey(r.sequence())) {
          assertEquals(queued.get(r.sequence()), r.hashHex(), "content of sequence " + r.sequence());
        }
      }
    }
  }

  private static Process device(String uri, Path state, Path key, int count) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), DeviceProcessMain.class.getName(),
        uri, state.toString(), key.toString(), Integer.toString(count))
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  /** Reads QUEUED lines until {@code limit} of them or the end of output. */
  private static int readQueued(Process p, Map<Long, String> into, int limit) throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    int n = 0;
    String line;
    while (n < limit && (line = r.readLine()) != null) {
      if (line.startsWith("QUEUED ")) {
        String[] f = line.split(" ");
        String before = into.put(Long.parseLong(f[1]), f[2]);
        assertEquals(null, before, "sequence " + f[1] + " queued twice");
        n++;
      }
    }
    return n;
  }
}
