package dev.popw.gpuproof;

import dev.popw.proto.v1.GpuOpening;
import dev.popw.proto.v1.GpuProbeRead;
import dev.popw.proto.v1.GpuTileOpening;
import java.util.ArrayList;
import java.util.List;

/** Splits an opening into numbered parts that each stay under a size, so every envelope stays under the envelope limit. */
public final class Openings {
  /**
   * A part's largest serialized size by default: with the envelope around it, under the 8 KiB body
   * Californium accepts over CoAP (block-wise) and well under the coordinator's 16 KiB envelope limit.
   */
  public static final int MAX_PART_BYTES = 6 * 1024;

  private Openings() {}

  /** The parts, numbered 1..parts, in order: tiles first, then probe reads. */
  public static List<GpuOpening> parts(List<GpuTileOpening> tiles, List<GpuProbeRead> reads, int maxBytes) {
    List<GpuOpening.Builder> parts = new ArrayList<>();
    GpuOpening.Builder part = GpuOpening.newBuilder();
    int size = 0;
    for (GpuTileOpening t : tiles) {
      int add = t.getSerializedSize() + 4;
      if (size > 0 && size + add > maxBytes) {
        parts.add(part);
        part = GpuOpening.newBuilder();
        size = 0;
      }
      part.addTiles(t);
      size += add;
    }
    for (GpuProbeRead r : reads) {
      int add = r.getSerializedSize() + 4;
      if (size > 0 && size + add > maxBytes) {
        parts.add(part);
        part = GpuOpening.newBuilder();
        size = 0;
      }
      part.addProbeReads(r);
      size += add;
    }
    parts.add(part);
    List<GpuOpening> out = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      out.add(parts.get(i).setPart(i + 1).setParts(parts.size()).build());
    }
    return out;
  }
}
