package dev.popw.identity.ecc608;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.Reason;
import dev.popw.identity.DeviceId;
import dev.popw.identity.DeviceSigners;
import dev.popw.identity.KeyStorage;
import dev.popw.identity.KeyType;
import dev.popw.identity.SignerException;
import dev.popw.internal.crypto.EcdsaScheme;
import dev.popw.internal.crypto.SignatureCheck;
import dev.popw.internal.encoding.Hex;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.ECPublicKey;
import org.junit.jupiter.api.Test;

/**
 * The ATECC608 command protocol against a simulated chip with real P-256 keys: the datasheet's CRC
 * and framing, GenKey, Nonce and Sign, the status codes, and a device key whose envelopes verify.
 */
class Ecc608Test {
  private final SimulatedEcc608 sim = new SimulatedEcc608();
  private final Ecc608 chip = new Ecc608(sim, ms -> {});

  @Test
  void crc16_matches_the_datasheet_examples() {
    // The wake answer: count 0x04, status 0x11, CRC 0x33 0x43.
    byte[] wake = {0x04, 0x11};
    int crc = Ecc608.crc16(wake, 0, 2);
    assertEquals(0x33, crc & 0xFF);
    assertEquals(0x43, crc >> 8);
    // The Info (revision) command as the datasheet and CryptoAuthLib send it: 03 07 30 00 00 00 03 5D.
    assertEquals("030730000000035d", Hex.encode(Ecc608.commandPacket(Ecc608.OP_INFO, 0, 0, new byte[0])));
  }

  @Test
  void commands_use_word_address_3_count_opcode_params_little_endian_and_crc() throws Exception {
    Ecc608Signer.generate(chip, 5).sign("x".getBytes(StandardCharsets.UTF_8));
    byte[] genKey = sim.written.stream().filter(w -> w[0] == 3 && w[2] == 0x40).findFirst().orElseThrow();
    assertEquals("0307400405", Hex.encode(genKey).substring(0, 10), "GenKey, mode 0x04 (private), slot 5 as param2 LSB");
    assertEquals(0, genKey[5], "param2 MSB");
    byte[] nonce = sim.written.stream().filter(w -> w[0] == 3 && w[2] == 0x16).findFirst().orElseThrow();
    assertEquals(1 + 7 + 32, nonce.length, "Nonce pass-through carries the 32-byte digest");
    assertEquals(0x03, nonce[3], "mode 0x03: pass-through");
    byte[] sign = sim.written.stream().filter(w -> w[0] == 3 && w[2] == 0x41).findFirst().orElseThrow();
    assertEquals("0307418005", Hex.encode(sign).substring(0, 10), "Sign, mode 0x80 (external message), slot 5");
    for (byte[] w : sim.written) {
      if (w[0] == 3) {
        int c = Ecc608.crc16(w, 1, w.length - 3);
        assertEquals(c & 0xFF, w[w.length - 2] & 0xFF);
        assertEquals(c >> 8, w[w.length - 1] & 0xFF);
      }
    }
    assertTrue(sim.written.stream().anyMatch(w -> w.length == 1 && w[0] == Ecc608.WORD_IDLE), "idle between uses");
  }

  @Test
  void genkey_gives_the_device_id_of_the_chips_public_key_and_its_envelopes_verify() throws Exception {
    Ecc608Signer s = Ecc608Signer.generate(chip, 0);
    ECPublicKey pub = sim.publicKey(0);
    byte[] sec1 = new byte[65];
    sec1[0] = 4;
    System.arraycopy(fixed(pub.getW().getAffineX()), 0, sec1, 1, 32);
    System.arraycopy(fixed(pub.getW().getAffineY()), 0, sec1, 33, 32);
    byte[] compressed = EcdsaScheme.P256.decodeAnyPublicKey(sec1).point().getEncoded(true);
    assertEquals(DeviceId.of(KeyType.ECDSA_P256, compressed), s.deviceId());
    assertEquals(new KeyStorage(KeyStorage.Kind.ECC608, "serial " + Hex.encode(SimulatedEcc608.SERIAL) + ", slot 0"), s.storage());

    EnvelopeSealer sealer = EnvelopeSealer.builder().signer(s).sequence(new FixedSequence(1)).networkId("popw-test").build();
    EnvelopeVerifier verifier = EnvelopeVerifier.create();
    for (int i = 0; i < 3; i++) {
      assertEquals(Reason.OK, verifier.verify(sealer.seal(SampleTelemetry.weather()).bytes()).reason());
    }
    // The chip's nonces are random, so about half its signatures have a high S; all that leave the signer are low S.
    dev.popw.internal.crypto.VerifyingKey key = EcdsaScheme.P256.decodePublicKey(compressed);
    for (int i = 0; i < 40; i++) {
      byte[] m = ("message " + i).getBytes(StandardCharsets.UTF_8);
      assertEquals(SignatureCheck.VALID, key.verify(m, 0, m.length, s.sign(m)), "message " + i);
    }
    assertTrue(sim.highSSignatures > 0, "some of the chip's 43 signatures had a high S (normalized): " + sim.highSSignatures);

    // Opened again (GenKey public mode), the same key.
    assertEquals(s.deviceId(), Ecc608Signer.open(new Ecc608(sim, ms -> {}), 0).deviceId());
  }

  @Test
  void the_answer_is_polled_for_while_the_chip_executes_and_a_silent_chip_is_one_clear_line() throws Exception {
    Ecc608Signer s = Ecc608Signer.generate(chip, 1);
    Ecc608Signer muted = Ecc608Signer.generate(new Ecc608(sim, ms -> {}), 2);
    sim.executionReads = 15; // 15 NACKs before each answer, polled each ms: within Nonce's 20 ms and Sign's 115 ms
    assertEquals(64, s.sign(new byte[] {1}).length);
    sim.mute = true;
    SignerException e = assertThrows(SignerException.class, () -> muted.sign(new byte[] {1}));
    assertTrue(e.getMessage().contains("does not answer the wake-up"), e.getMessage());
  }

  @Test
  void status_codes_become_one_line_with_the_datasheets_meaning() {
    SignerException empty = assertThrows(SignerException.class, () -> Ecc608Signer.open(chip, 3));
    assertTrue(empty.getMessage().contains("GenKey failed: status 0x0F, execution error"), empty.getMessage());
    SignerException dataSlot = assertThrows(SignerException.class, () -> Ecc608Signer.generate(new Ecc608(sim, ms -> {}), 9));
    assertTrue(dataSlot.getMessage().contains("slot 9") && dataSlot.getMessage().contains("0x0F"), dataSlot.getMessage());
    assertTrue(!empty.getMessage().contains("\n") && !dataSlot.getMessage().contains("\n"));
  }

  @Test
  void crc_errors_are_caught_both_ways() throws Exception {
    Ecc608Signer s = Ecc608Signer.generate(chip, 4);
    // The chip received a corrupted command: it answers 0xFF, and the command is sent once more.
    sim.corruptNextCommand = true;
    byte[] m = {7};
    byte[] sig = s.sign(m);
    assertEquals(SignatureCheck.VALID, EcdsaScheme.P256.decodePublicKey(s.publicKey()).verify(m, 0, 1, sig));
    // A corrupted answer is refused, never used as a signature.
    sim.corruptNextAnswer = true;
    SignerException e = assertThrows(SignerException.class, () -> s.sign(m));
    assertTrue(e.getMessage().contains("bad CRC"), e.getMessage());
  }

  @Test
  void uris_name_bus_address_and_slot() {
    assertEquals(new Ecc608Uri(1, 0x60, 0), Ecc608Uri.parse("ecc608://i2c-1:0x60?slot=0"));
    assertEquals(new Ecc608Uri(1, 96, 2), Ecc608Uri.parse("ecc://i2c-1:96?slot=2"), "gateway-rs's form");
    assertEquals(new Ecc608Uri(3, 0x35, 0), Ecc608Uri.parse("ecc608://i2c-3:0x35"));
    assertTrue(assertThrows(SignerException.class, () -> Ecc608Uri.parse("ecc608://i2c-1:0x60?slot=16")).getMessage().contains("slots 0 to 15"));
    assertTrue(assertThrows(SignerException.class, () -> Ecc608Uri.parse("ecc608://i2c-1:0xc0")).getMessage().contains("7-bit"));
    // Without the agent's Pi4J binding on the class path, sdk-core has no ecc608 provider: a clear line.
    SignerException none = assertThrows(SignerException.class, () -> DeviceSigners.open("ecc608://i2c-1:0x60?slot=0"));
    assertTrue(none.getMessage().contains("no signer available for 'ecc608:'"), none.getMessage());
  }

  private static byte[] fixed(BigInteger v) {
    byte[] b = v.toByteArray();
    byte[] out = new byte[32];
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, 32 - len, len);
    return out;
  }
}
