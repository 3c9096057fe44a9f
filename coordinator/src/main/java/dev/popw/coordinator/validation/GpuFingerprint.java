package dev.popw.coordinator.validation;

import dev.popw.proto.v1.Gpu;
import dev.popw.proto.v1.GpuReport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Which GPUs a device has: count, model and uuid of each (memory size too, for sizing challenges,
 * but a change of it alone is not flagged). Pinned from a device's first GPU report after each
 * registration; a report with another count, model or uuid is FINGERPRINT_CHANGED.
 */
public record GpuFingerprint(List<Card> gpus) {
  /** One GPU: nvidia-smi's uuid, model name and total memory. */
  public record Card(String uuid, String model, long memoryMib) {}

  public GpuFingerprint {
    gpus = List.copyOf(gpus);
  }

  /** The fingerprint of a report, GPUs ordered by uuid. */
  public static GpuFingerprint of(GpuReport r) {
    List<Card> cards = new ArrayList<>();
    for (Gpu g : r.getGpusList()) {
      cards.add(new Card(g.getUuid(), g.getModel(), g.getMemoryTotalMib()));
    }
    cards.sort(Comparator.comparing(Card::uuid));
    return new GpuFingerprint(cards);
  }

  /** Canonical text, as stored: "uuid|model|memory" per GPU, ';'-separated, by uuid. */
  public String canonical() {
    StringBuilder b = new StringBuilder();
    for (Card c : gpus) {
      if (b.length() > 0) {
        b.append(';');
      }
      b.append(c.uuid().replace('|', '/').replace(';', ',')).append('|').append(c.model().replace('|', '/').replace(';', ','))
          .append('|').append(c.memoryMib());
    }
    return b.toString();
  }

  public static GpuFingerprint parse(String canonical) {
    List<Card> cards = new ArrayList<>();
    if (!canonical.isEmpty()) {
      for (String s : canonical.split(";", -1)) {
        String[] f = s.split("\\|", -1);
        cards.add(new Card(f[0], f[1], Long.parseLong(f[2])));
      }
    }
    return new GpuFingerprint(cards);
  }

  /** Null when {@code now} has the same GPUs (count, uuids, models); otherwise what changed, in words. */
  public String changeTo(GpuFingerprint now) {
    List<String> what = new ArrayList<>();
    if (gpus.size() != now.gpus.size()) {
      what.add("GPU count " + gpus.size() + " -> " + now.gpus.size());
    }
    for (Card c : gpus) {
      Card n = now.byUuid(c.uuid());
      if (n == null) {
        what.add(c.uuid() + " (" + c.model() + ") is gone");
      } else if (!Objects.equals(n.model(), c.model())) {
        what.add(c.uuid() + " model '" + c.model() + "' -> '" + n.model() + "'");
      }
    }
    for (Card n : now.gpus) {
      if (byUuid(n.uuid()) == null) {
        what.add(n.uuid() + " (" + n.model() + ") is new");
      }
    }
    return what.isEmpty() ? null : String.join("; ", what);
  }

  public Card byUuid(String uuid) {
    for (Card c : gpus) {
      if (c.uuid().equals(uuid)) {
        return c;
      }
    }
    return null;
  }

  /** A pinned fingerprint: pinned at {@code pinnedAt} (receipt time of the report) for the registration of {@code registrationTime}. */
  public record Pin(String deviceId, long registrationTime, GpuFingerprint fingerprint, long pinnedAt) {}
}
