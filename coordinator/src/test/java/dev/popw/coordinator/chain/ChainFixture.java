package dev.popw.coordinator.chain;

import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.store.BatchSettlement;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Helpers shared by the chain tests: a coordinator settling on a given chain, devices, waiting. */
final class ChainFixture {
  static final String NETWORK = "popw-test";
  static final EvmAddress OWNER = EvmAddress.parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");

  private ChainFixture() {}

  static CoordinatorSettings settings(Path data, String rpcUrl, Path keyFile, Deployment d, int batchSize) {
    return CoordinatorSettings.defaults().withNetwork(NETWORK).withDataDirectory(data).withEmbeddedMqtt(-1)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(-1).withBatch(batchSize, Duration.ofHours(1))
        .withChain(new ChainSettings("rpc", rpcUrl, 31337, keyFile, d.deviceRegistry(), d.batchRegistry(), 1,
            Duration.ofMillis(100), Duration.ofMinutes(3), "", 0));
  }

  /** A registered test device. */
  record Dev(dev.popw.identity.DeviceId id, EnvelopeSealer sealer) {}

  static Dev device(Coordinator c, KeyType type) {
    SoftwareSigner s = SoftwareSigner.generate(type, new SecureRandom());
    c.registry().register(Registrations.sign(s, OWNER, DeviceKind.SENSOR, null, NETWORK, Clock.systemUTC()));
    return new Dev(s.deviceId(), EnvelopeSealer.builder().signer(s).sequence(new FixedSequence(1)).networkId(NETWORK).build());
  }

  /** Sends n envelopes round-robin from the sealers; returns those accepted. */
  static List<SealedEnvelope> ingest(Coordinator c, List<Dev> devices, int n) {
    List<SealedEnvelope> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      SealedEnvelope e = devices.get(i % devices.size()).sealer().seal(SampleTelemetry.weather());
      if (c.pipeline().submit(e.bytes(), null).join().accepted()) {
        out.add(e);
      }
    }
    return out;
  }

  static boolean allConfirmed(Coordinator c) {
    Map<String, Long> counts = c.store().batches().settlementCounts();
    return !counts.isEmpty() && counts.keySet().equals(java.util.Set.of(BatchSettlement.CONFIRMED));
  }

  static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting until " + what);
      }
      Thread.sleep(50);
    }
  }
}
