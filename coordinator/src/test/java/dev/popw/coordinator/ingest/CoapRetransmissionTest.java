package dev.popw.coordinator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.identity.KeyType;
import dev.popw.proto.v1.Receipt;
import dev.popw.testing.SampleTelemetry;
import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CoAP retransmissions, sent as raw datagrams: the endpoint keeps no per-message deduplication
 * state (Californium's would hold every exchange for 247 s: gigabytes at 10,000 requests/s), so
 * a retransmitted request reaches the pipeline again, which answers it DUPLICATE once the first
 * copy is committed. Every copy gets an answer and every envelope is stored once.
 */
class CoapRetransmissionTest {
  @TempDir
  Path dir;

  @Test
  void every_retransmission_is_answered_and_every_envelope_is_stored_once() throws Exception {
    try (PipelineFixture f = new PipelineFixture(TestDatabases.h2(dir), 1024);
        CoapIngest coap = new CoapIngest("127.0.0.1", 0, -1, Map.of(), f.pipeline, f.clock, dev.popw.testing.TestKeys.coordinator());
        DatagramSocket socket = new DatagramSocket()) {
      coap.start();
      PipelineFixture.Device d = f.device(KeyType.ED25519, true);
      InetSocketAddress server = new InetSocketAddress("127.0.0.1", coap.plainPort());
      int envelopes = 50;
      int copies = 3;
      for (int i = 0; i < envelopes; i++) {
        byte[] datagram = confirmablePost(i + 1, d.sealer.seal(SampleTelemetry.weather()).bytes());
        for (int c = 0; c < copies; c++) { // the same message id and token each time: a retransmission
          socket.send(new DatagramPacket(datagram, datagram.length, server));
        }
      }
      Map<Integer, Integer> answers = new HashMap<>();
      Map<String, Integer> statuses = new HashMap<>();
      socket.setSoTimeout(5_000);
      byte[] buf = new byte[2048];
      try {
        while (answers.values().stream().mapToInt(Integer::intValue).sum() < envelopes * copies) {
          DatagramPacket p = new DatagramPacket(buf, buf.length);
          socket.receive(p);
          byte[] r = Arrays.copyOf(p.getData(), p.getLength());
          int type = (r[0] >> 4) & 3;
          assertEquals(2, type, "a piggybacked answer (ACK)");
          int mid = ((r[2] & 0xff) << 8) | (r[3] & 0xff);
          answers.merge(mid, 1, Integer::sum);
          statuses.merge(Receipt.parseFrom(dev.popw.proto.v1.SignedReceipt.parseFrom(payload(r)).getReceipt()).getStatus().name(), 1, Integer::sum);
        }
      } catch (SocketTimeoutException e) {
        // counted below
      }
      assertEquals(envelopes, answers.size(), "every message id is answered");
      assertTrue(answers.values().stream().allMatch(n -> n == copies), "every copy is answered: " + answers);
      assertEquals(Map.of("ACCEPTED", envelopes, "DUPLICATE", envelopes * (copies - 1)), statuses);
      assertEquals(envelopes, f.store.envelopes().acceptedSequences(d.id()).size(), "each envelope stored once");
    }
  }

  /** A CoAP confirmable POST to /v1/telemetry: version 1, token = 2 bytes of the message id. */
  private static byte[] confirmablePost(int mid, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x40 | 2); // version 1, CON, token length 2
    out.write(0x02); // POST
    out.write(mid >> 8);
    out.write(mid);
    out.write(mid >> 8);
    out.write(mid);
    out.write(0xB2); // Uri-Path (11), length 2
    out.writeBytes("v1".getBytes(StandardCharsets.US_ASCII));
    out.write(0x09); // Uri-Path again (delta 0), length 9
    out.writeBytes("telemetry".getBytes(StandardCharsets.US_ASCII));
    out.write(0xFF);
    out.writeBytes(payload);
    return out.toByteArray();
  }

  /** The payload after the 0xFF marker, skipping header, token and options. */
  private static byte[] payload(byte[] r) {
    int i = 4 + (r[0] & 0x0f);
    while (i < r.length && (r[i] & 0xff) != 0xFF) {
      int delta = (r[i] >> 4) & 0x0f;
      int len = r[i] & 0x0f;
      i++;
      i += delta == 13 ? 1 : delta == 14 ? 2 : 0;
      if (len == 13) {
        len = (r[i] & 0xff) + 13;
        i++;
      } else if (len == 14) {
        len = (((r[i] & 0xff) << 8) | (r[i + 1] & 0xff)) + 269;
        i += 2;
      }
      i += len;
    }
    return Arrays.copyOfRange(r, i + 1, r.length);
  }
}
