package dev.popw.coordinator.ingest;

import com.google.protobuf.ByteString;
import dev.popw.coordinator.registry.DeviceRegistry;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.Store;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.Envelopes;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.MutableClock;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** A pipeline over a database, a registry, a hand-moved clock, and helpers to make devices. */
final class PipelineFixture implements AutoCloseable {
  static final String NETWORK = "popw-test";
  static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

  final MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));
  final Database db;
  final Store store;
  final IngestPipeline pipeline;
  final DeviceRegistry registry;

  PipelineFixture(Database db, int window) {
    this(db, PipelineConfig.builder(NETWORK).sequenceWindow(window).build());
  }

  PipelineFixture(Database db, PipelineConfig config) {
    this(db, config, dev.popw.coordinator.store.RejectionLimits.defaults());
  }

  PipelineFixture(Database db, PipelineConfig config, dev.popw.coordinator.store.RejectionLimits rejectionLimits) {
    this.db = db;
    this.store = new Store(db, rejectionLimits);
    this.pipeline = new IngestPipeline(store, config, clock);
    this.registry = new DeviceRegistry(store, pipeline, NETWORK, clock, Duration.ofMinutes(5));
  }

  /** A device with its own key and sealer; registered unless {@code register} is false. */
  Device device(KeyType type, boolean register) {
    return device(type, register, DeviceKind.SENSOR);
  }

  /** A device registered (unless {@code register} is false) as {@code kind}. */
  Device device(KeyType type, boolean register, DeviceKind kind) {
    Device d = new Device(SoftwareSigner.generate(type, new SecureRandom()), clock);
    if (register) {
      registry.register(Registrations.sign(d.signer, OWNER, kind, null, NETWORK, clock));
    }
    return d;
  }

  IngestResult submit(byte[] envelope) {
    return pipeline.submit(envelope, null).join();
  }

  @Override
  public void close() {
    pipeline.close();
    db.close();
  }

  /** A test device. */
  static final class Device {
    final SoftwareSigner signer;
    final EnvelopeSealer sealer;
    final Clock clock;

    Device(SoftwareSigner signer, Clock clock) {
      this.signer = signer;
      this.clock = clock;
      this.sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).clock(clock).networkId(NETWORK).build();
    }

    String id() {
      return signer.deviceId().toString();
    }

    /** A sealer with its own sequence start, clock, network or chain head. */
    EnvelopeSealer sealer(long firstSequence, Clock clock, String network, byte[] chainHead) {
      return EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(firstSequence)).clock(clock)
          .networkId(network).chainHead(chainHead).build();
    }

    /** Signs arbitrary telemetry, bypassing the sealer (for payloads a sealer would not make). */
    byte[] signRaw(Telemetry t) {
      byte[] tb = t.toByteArray();
      return SignedEnvelope.newBuilder().setVersion(1).setKeyTypeValue(signer.keyType().wireValue())
          .setPublicKey(ByteString.copyFrom(signer.publicKey())).setTelemetry(ByteString.copyFrom(tb))
          .setSignature(ByteString.copyFrom(signer.sign(Envelopes.signingMessage(tb)))).build().toByteArray();
    }
  }
}
