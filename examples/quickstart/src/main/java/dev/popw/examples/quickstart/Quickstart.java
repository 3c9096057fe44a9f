package dev.popw.examples.quickstart;

import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.envelope.VerificationResult;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.DeviceSigners;
import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.Gpu;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import dev.popw.sequence.FileSequenceCounter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * What a device does with sdk-core, end to end on one machine: make a key of each type, seal one
 * envelope of each kind of work, and verify them as a coordinator would; then show that a tampered
 * envelope is rejected with a reason.
 *
 * <p>Usage: {@code ./popw quickstart [--keep DIR]} or {@code java -jar popw-quickstart.jar [--keep DIR]}. Exit code 0 when every step
 * behaved as expected, 1 otherwise.
 */
public final class Quickstart {
  private Quickstart() {}

  public static void main(String[] args) throws IOException {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
    if (args.length > 0 && (args[0].equals("-h") || args[0].equals("--help"))) {
      out.println("Usage: popw quickstart [--keep DIR]");
      out.println("Makes a device key of each type, seals one envelope of each kind of work, verifies them,");
      out.println("and shows a tampered envelope being rejected. --keep DIR keeps the keys and counters there.");
      return 0;
    }
    boolean keep = args.length == 2 && args[0].equals("--keep");
    if (args.length > 0 && !keep) {
      err.println("popw quickstart: " + (args[0].equals("--keep") ? "--keep needs one directory" : "unknown argument '" + args[0] + "'")
          + "; usage: popw quickstart [--keep DIR]");
      return 2;
    }
    Path dir = keep ? Files.createDirectories(Path.of(args[1])) : Files.createTempDirectory("popw-quickstart");
    EnvelopeVerifier coordinatorSide = EnvelopeVerifier.create();
    boolean allGood = true;
    try {
      out.printf("PoPW Edge quickstart (state in %s)%n%n", dir);
      for (KeyType type : KeyType.values()) {
        Path keyFile = dir.resolve(type.label() + ".key");
        if (!Files.exists(keyFile)) {
          KeyFiles.generate(type, keyFile);
        }
        // --- what a hardware maker writes ---
        try (DeviceSigner signer = DeviceSigners.open("file:" + keyFile.toAbsolutePath());
            FileSequenceCounter sequence = FileSequenceCounter.open(dir.resolve(type.label() + ".seq"))) {
          EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(sequence).networkId("popw-devnet").build();
          SealedEnvelope envelope = seal(sealer, type);
          // ------------------------------------
          VerificationResult result = coordinatorSide.verify(envelope.bytes());
          allGood &= result.isOk();
          out.printf("%-9s %s%n", type.label(), signer.deviceId());
          signer.deviceId().evmAddress().ifPresent(a -> out.printf("          EVM address %s%n", a));
          out.printf("          sealed %s #%d, %d bytes -> verifier says %s%n",
              envelope.telemetry().getPayloadCase().name().toLowerCase(), envelope.sequence(), envelope.size(), result);

          byte[] tampered = envelope.bytes();
          tampered[tampered.length - 80] ^= 0x01; // one bit inside the signed telemetry
          VerificationResult rejected = coordinatorSide.verify(tampered);
          allGood &= !rejected.isOk();
          out.printf("          one flipped bit          -> verifier says %s%n", rejected);
        }
      }
      out.printf("%n%s%n", allGood ? "All steps behaved as expected." : "SOMETHING WENT WRONG: see above.");
      return allGood ? 0 : 1;
    } finally {
      if (!keep) {
        try (Stream<Path> files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  private static SealedEnvelope seal(EnvelopeSealer sealer, KeyType type) {
    switch (type) {
      case ED25519:
        return sealer.seal(SensorReading.newBuilder()
            .setSensorModel("BME280")
            .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(21.5).setUnit(Unit.CELSIUS))
            .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.RELATIVE_HUMIDITY).setValue(48.2).setUnit(Unit.PERCENT))
            .build());
      case ECDSA_P256:
        return sealer.seal(CoverageReport.newBuilder()
            .setRole(CoverageReport.Role.WITNESS).setFrequencyHz(868_100_000).setRssiDbm(-97).setSnrDb(7.5f).setDataRate("SF9BW125")
            .build());
      default:
        return sealer.seal(GpuReport.newBuilder()
            .addGpus(Gpu.newBuilder().setUuid("GPU-demo").setModel("NVIDIA RTX 4090").setMemoryTotalMib(24564).setUtilizationPercent(93))
            .build());
    }
  }
}
