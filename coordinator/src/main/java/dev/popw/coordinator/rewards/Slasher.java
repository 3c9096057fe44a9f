package dev.popw.coordinator.rewards;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.coordinator.chain.ChainException;
import dev.popw.coordinator.chain.DeviceRegistryContract;
import dev.popw.coordinator.chain.RewardsContracts;
import dev.popw.coordinator.store.SlashStore;
import dev.popw.coordinator.store.Store;
import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.proto.v1.SignedEnvelope;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.asn1.sec.SECNamedCurves;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Hash;

/**
 * Slashes staked devices that equivocated (docs/rewards.md, "Slashing"): for every stored
 * EQUIVOCATION (two envelopes signed by one device key with the same sequence number and different
 * bytes) of a device with stake, sends the evidence to {@code Staking}: verified on-chain for
 * secp256k1 and P-256 devices ({@code slashEquivocation}), on the coordinator's attestation for
 * Ed25519 ({@code slashAttested}, with the keccak256 of both envelopes as the evidence hash).
 */
final class Slasher {
  private static final Logger LOG = LoggerFactory.getLogger(Slasher.class);

  private final Store store;
  private final RewardsChain chain;
  private final Clock clock;

  Slasher(Store store, RewardsChain chain, Clock clock) {
    this.store = store;
    this.chain = chain;
    this.clock = clock;
  }

  void run() {
    for (SlashStore.Evidence e : store.slashes().open(20)) {
      try {
        decide(e);
      } catch (ChainException x) {
        if (x.retryable()) {
          LOG.warn("slashing {} for sequence {}: {}; retrying", e.deviceId(), e.sequence(), x.getMessage());
          return;
        }
        store.slashes().decide(e.deviceId(), e.sequence(), "FAILED", null, x.getMessage(), clock.millis());
        LOG.warn("slashing {} for sequence {} was refused: {}", e.deviceId(), e.sequence(), x.getMessage());
      }
    }
  }

  private void decide(SlashStore.Evidence e) {
    DeviceId id = DeviceId.parse(e.deviceId());
    byte[] chainId = DeviceRegistryContract.deviceIdOf(id);
    RewardsContracts.Stake stake = chain.contracts().stakeOf(chain.client(), chainId);
    if (stake.amount().signum() == 0 && stake.unbonding().signum() == 0) {
      store.slashes().decide(e.deviceId(), e.sequence(), "NO_STAKE", null, "nothing staked on the device when its equivocation was"
          + " found", clock.millis());
      return;
    }
    Optional<byte[]> first = store.envelopes().envelopeBytes(e.firstHash());
    if (first.isEmpty()) {
      store.slashes().decide(e.deviceId(), e.sequence(), "FAILED", null, "the accepted envelope it conflicts with is gone", clock.millis());
      return;
    }
    SignedEnvelope a;
    SignedEnvelope b;
    try {
      a = SignedEnvelope.parseFrom(first.get());
      b = SignedEnvelope.parseFrom(e.second());
    } catch (InvalidProtocolBufferException x) {
      store.slashes().decide(e.deviceId(), e.sequence(), "FAILED", null, "stored evidence does not parse", clock.millis());
      return;
    }
    String data;
    if (id.keyType() == KeyType.ED25519) {
      byte[] both = new byte[first.get().length + e.second().length];
      System.arraycopy(first.get(), 0, both, 0, first.get().length);
      System.arraycopy(e.second(), 0, both, first.get().length, e.second().length);
      data = RewardsContracts.slashAttestedData(chainId, e.sequence(), Hash.sha3(both));
    } else {
      String curve = id.keyType() == KeyType.ECDSA_SECP256K1 ? "secp256k1" : "secp256r1";
      byte[] full = SECNamedCurves.getByName(curve).getCurve().decodePoint(id.publicKey()).getEncoded(false);
      data = RewardsContracts.slashEquivocationData(Arrays.copyOfRange(full, 1, 65), a.getTelemetry().toByteArray(),
          a.getSignature().toByteArray(), b.getTelemetry().toByteArray(), b.getSignature().toByteArray());
    }
    String tx = chain.client().execute(chain.contracts().staking(), data).getTransactionHash();
    store.slashes().decide(e.deviceId(), e.sequence(), "SLASHED", tx, (id.keyType() == KeyType.ED25519 ? "attested" : "verified on-chain")
        + "; stake was " + RewardSettings.weiToTokens(stake.amount()) + " POPW bonded, " + RewardSettings.weiToTokens(stake.unbonding())
        + " unbonding", clock.millis());
    LOG.warn("device {} equivocated at sequence {}: slashed (tx {})", e.deviceId(), e.sequence(), tx);
  }
}
