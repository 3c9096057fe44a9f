package dev.popw.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.envelope.Reason;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.Telemetry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What a receiver must have seen for a delivery to count as complete and in order. */
public final class DeliveryAssertions {
  private DeliveryAssertions() {}

  /**
   * Every sequence number in {@code expected} arrived, verified; no sequence number arrived with
   * two different contents (reuse); and each envelope's prev_hash is the hash of the one before,
   * so the receiver can put the stream in order with no gap.
   *
   * @return the first-arrival order of sequence numbers
   */
  public static List<Long> assertCompleteChain(List<ReceivedEnvelope> received, Set<Long> expected) {
    Map<Long, String> hashBySeq = new HashMap<>();
    Map<Long, Telemetry> telemetryBySeq = new HashMap<>();
    LinkedHashSet<Long> firstArrival = new LinkedHashSet<>();
    for (ReceivedEnvelope r : received) {
      assertEquals(Reason.OK, r.result().reason(), "every envelope verifies: " + r);
      String before = hashBySeq.putIfAbsent(r.sequence(), r.hashHex());
      assertTrue(before == null || before.equals(r.hashHex()), "sequence " + r.sequence() + " reused with other content");
      telemetryBySeq.putIfAbsent(r.sequence(), r.result().telemetry().orElseThrow());
      firstArrival.add(r.sequence());
    }
    assertTrue(firstArrival.containsAll(expected), "missing: " + missing(expected, firstArrival));
    for (long seq : expected) {
      Telemetry t = telemetryBySeq.get(seq);
      if (telemetryBySeq.containsKey(seq - 1)) {
        assertEquals(hashBySeq.get(seq - 1), Hex.encode(t.getPrevHash().toByteArray()), "chain link " + (seq - 1) + " -> " + seq);
      }
    }
    return new ArrayList<>(firstArrival);
  }

  private static Set<Long> missing(Set<Long> expected, Set<Long> got) {
    Set<Long> m = new java.util.TreeSet<>(expected);
    m.removeAll(got);
    return m;
  }
}
