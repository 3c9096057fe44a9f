package dev.popw.coordinator.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.ingest.PipelineConfig;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.identity.DeviceId;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyStorage;
import dev.popw.identity.KeyType;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Registration;
import dev.popw.proto.v1.SignedRegistration;
import dev.popw.registration.Registrations;
import dev.popw.testing.TestKeys;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registration fields 8 and 9: where the key is held, recorded as the device says, bad values refused in one line. */
class KeyStorageRegistrationTest {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  @TempDir Path dir;

  @Test
  void the_stored_registration_says_where_the_key_is_and_older_ones_say_unspecified() {
    Database db = TestDatabases.h2(dir);
    Store store = new Store(db);
    try (IngestPipeline pipeline = new IngestPipeline(store, PipelineConfig.builder("popw-test").build(), Clock.systemUTC())) {
      DeviceRegistry registry = new DeviceRegistry(store, pipeline, "popw-test", Clock.systemUTC(), Duration.ofMinutes(5));
      DeviceId tpm = registry.register(Registrations.sign(TestKeys.signer(KeyType.ECDSA_P256), OWNER, DeviceKind.SENSOR, null, "popw-test",
          Clock.systemUTC(), new KeyStorage(KeyStorage.Kind.TPM, "token 'popw', TPM IBM, serial 0000")));
      assertArrayEquals(new String[] {"TPM", "token 'popw', TPM IBM, serial 0000"}, store.devices().keyStorage(tpm).orElseThrow());
      DeviceId old = registry.register(Registrations.sign(TestKeys.signer(KeyType.ED25519), OWNER, DeviceKind.SENSOR, null, "popw-test",
          Clock.systemUTC()));
      assertArrayEquals(new String[] {"UNSPECIFIED", ""}, store.devices().keyStorage(old).orElseThrow());
    } finally {
      db.close();
    }
  }

  @Test
  void an_unknown_kind_or_a_detail_with_a_line_break_is_refused_in_one_line() {
    Database db = TestDatabases.h2(dir);
    Store store = new Store(db);
    try (IngestPipeline pipeline = new IngestPipeline(store, PipelineConfig.builder("popw-test").build(), Clock.systemUTC())) {
      DeviceRegistry registry = new DeviceRegistry(store, pipeline, "popw-test", Clock.systemUTC(), Duration.ofMinutes(5));
      RegistrationException e = assertThrows(RegistrationException.class, () -> registry.register(Registrations.sign(
          TestKeys.signer(KeyType.ECDSA_P256), OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC(),
          new KeyStorage(KeyStorage.Kind.PKCS11, "token\nINFO forged"))));
      assertTrue(e.getMessage().contains("key_storage_detail 'token\\u000aINFO forged' has control or format characters"), e.getMessage());
      // kind 9 does not exist: signed by hand, since the SDK cannot make one
      var signer = TestKeys.signer(KeyType.ED25519);
      byte[] good = Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC());
      byte[] reg;
      try {
        reg = Registration.parseFrom(SignedRegistration.parseFrom(good).getRegistration()).toBuilder().setKeyStorageValue(9).build()
            .toByteArray();
      } catch (com.google.protobuf.InvalidProtocolBufferException x) {
        throw new AssertionError(x);
      }
      byte[] prefixed = new byte["popw.v1.Registration\0".length() + reg.length];
      System.arraycopy("popw.v1.Registration\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, prefixed, 0, 21);
      System.arraycopy(reg, 0, prefixed, 21, reg.length);
      byte[] signed = SignedRegistration.newBuilder().setRegistration(com.google.protobuf.ByteString.copyFrom(reg))
          .setSignature(com.google.protobuf.ByteString.copyFrom(signer.sign(prefixed))).build().toByteArray();
      RegistrationException unknown = assertThrows(RegistrationException.class, () -> registry.register(signed));
      assertTrue(unknown.getMessage().contains("key_storage 9 is not a known kind"), unknown.getMessage());
    } finally {
      db.close();
    }
  }
}
