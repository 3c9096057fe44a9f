package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.coordinator.chain.ChainSettings;
import dev.popw.coordinator.chain.EvmClient;
import dev.popw.coordinator.chain.RewardsContracts;
import dev.popw.coordinator.data.ConsumerToken;
import dev.popw.coordinator.data.DataSettings;
import dev.popw.coordinator.rewards.Consent;
import dev.popw.coordinator.rewards.RewardSettings;
import dev.popw.coordinator.testing.Anvil;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import dev.popw.registration.Registrations;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * Rewards on a real chain, through a running coordinator in dev mode: an owner earns and claims
 * tokens; stakes on a second device, which equivocates and is slashed with the evidence verified
 * on-chain; burns tokens for data credits, reads data paid per message with its own key; the
 * spending is settled on-chain when the epoch closes, and the burn flows into the next epoch's
 * rewards.
 */
class RewardsChainIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Duration EPOCH = Duration.ofSeconds(4);
  @TempDir Path dir;
  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void earnClaimStakeGetSlashedBuyCreditsAndReadPaidData() throws Exception {
    Credentials owner = Credentials.create(Anvil.KEY1);
    long now = System.currentTimeMillis();
    CoordinatorSettings s = CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(0).withBatch(1000, Duration.ofHours(1))
        .withEpochs(EPOCH, Duration.ofSeconds(1))
        .withChain(new ChainSettings("dev", "", 0, null, "", "", 1, Duration.ofMillis(200), Duration.ofMinutes(3),
            Anvil.binary().toString(), 0)).toBuilder()
        .sensorRules(dev.popw.coordinator.validation.sensor.SensorRules.defaults().withTiming(Duration.ofMinutes(5), Duration.ofHours(4),
            Duration.ofSeconds(1)))
        .rewards(RewardSettings.defaults().withGenesis(Instant.ofEpochMilli(now - Math.floorMod(now, EPOCH.toMillis()))))
        .data(new DataSettings(2, 1000, Duration.ofMinutes(5), Duration.ofSeconds(5))).build();
    try (Coordinator c = Coordinator.start(s)) {
      String base = "http://127.0.0.1:" + c.apiPort();
      SoftwareSigner device = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      c.registry().register(Registrations.sign(device, EvmAddress.parse(owner.getAddress()), DeviceKind.SENSOR, null, "popw-test",
          Clock.systemUTC()));
      c.rewards().orElseThrow().consent(device.deviceId().toString(), owner.getAddress(), Consent.sign(owner, "popw-test",
          device.deviceId().toString()));
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(device).sequence(new AtomicLong(1)::getAndIncrement)
          .networkId("popw-test").build();
      Thread sender = new Thread(() -> {
        for (int i = 0; i < 600 && !Thread.currentThread().isInterrupted(); i++) {
          SensorReading r = SensorReading.newBuilder().addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE)
              .setValue(20 + (i % 3) * 0.1).setUnit(Unit.CELSIUS)).build();
          c.pipeline().submit(sealer.seal(r).bytes(), null).join();
          try {
            Thread.sleep(250);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      sender.setDaemon(true);
      sender.start();
      try {
        // the owner earns: a root is committed, and the owner claims with its own key
        await(() -> c.rewards().orElseThrow().store().rows(0, 10).stream().anyMatch(r -> r.chainStatus().equals("COMMITTED")), "a committed root");
        JsonNode mine = json(get(base + "/v1/owners/" + owner.getAddress() + "/rewards", null), 200);
        RewardsContracts rc = c.rewardsContracts().orElseThrow();
        try (EvmClient chain = EvmClient.connect(c.chainInfo().rpcUrl(), owner, 0)) {
          // the owner's claim command: fetches the proof, sends the claim; a second run finds nothing to claim
          Path key = Anvil.keyFile(dir, Anvil.KEY1);
          assertTrue(mine.get("claimable").asText().length() > 0);
          assertEquals(0, dev.popw.coordinator.cli.CoordinatorCli.execute("claim", "--key", key.toString(), "--rpc", c.chainInfo().rpcUrl(),
              "--api", base));
          BigInteger balance = rc.balanceOf(chain, owner.getAddress());
          // (a newer root may have been committed in between: then the command claimed that one's larger total)
          assertTrue(balance.compareTo(new BigInteger(mine.get("proof_cumulative").asText())) >= 0, "the claim paid the owner's total");
          JsonNode again = json(get(base + "/v1/owners/" + owner.getAddress() + "/rewards", null), 200);
          assertEquals(balance.toString(), again.get("claimed").asText(), "the token's claimed total is what was paid");

          // stake on a second device (secp256k1); it signs two different envelopes with one sequence number: slashed
          SoftwareSigner cheat = SoftwareSigner.generate(KeyType.ECDSA_SECP256K1, new SecureRandom());
          c.registry().register(Registrations.sign(cheat, EvmAddress.parse(owner.getAddress()), DeviceKind.SENSOR, null, "popw-test",
              Clock.systemUTC()));
          byte[] chainId = dev.popw.coordinator.chain.DeviceRegistryContract.deviceIdOf(cheat.deviceId());
          BigInteger stake = RewardSettings.TOKEN.multiply(BigInteger.valueOf(4));
          chain.execute(rc.token(), RewardsContracts.approveData(rc.staking(), stake));
          chain.execute(rc.staking(), RewardsContracts.stakeData(chainId, stake));
          assertEquals(stake, rc.stakeOf(chain, chainId).amount());
          EnvelopeSealer twice = EnvelopeSealer.builder().signer(cheat).sequence(() -> 1L).networkId("popw-test").build();
          for (double t : new double[] {20.0, 25.0}) {
            c.pipeline().submit(twice.seal(SensorReading.newBuilder().addMeasurements(Measurement.newBuilder()
                .setQuantity(Quantity.TEMPERATURE).setValue(t).setUnit(Unit.CELSIUS)).build()).bytes(), null).join();
          }
          await(() -> c.store().slashes().decision(cheat.deviceId().toString(), 1).isPresent(), "the equivocation decided");
          String[] slash = c.store().slashes().decision(cheat.deviceId().toString(), 1).orElseThrow();
          assertEquals("SLASHED", slash[0], String.join(" ", slash));
          assertTrue(slash[2].contains("verified on-chain"), slash[2]);
          assertEquals(stake.divide(BigInteger.TWO), rc.stakeOf(chain, chainId).amount(), "half the stake slashed");
          balance = rc.balanceOf(chain, owner.getAddress());

          // no token, a stale one, a forged one: refused with the reason
          assertEquals(401, get(base + "/v1/data/readings", null).statusCode());
          assertEquals(401, get(base + "/v1/data/readings", ConsumerToken.header(owner, "popw-test", System.currentTimeMillis() - 3_600_000))
              .statusCode());
          HttpResponse<String> foreign = get(base + "/v1/data/readings", ConsumerToken.header(owner, "other-net", System.currentTimeMillis()));
          assertEquals(402, foreign.statusCode(), foreign.body());
          assertTrue(!foreign.body().contains(owner.getAddress().toLowerCase()), "another network's token proves some other account: "
              + foreign.body());
          // without credits: 402
          HttpResponse<String> broke = get(base + "/v1/data/readings", ConsumerToken.header(owner, "popw-test", System.currentTimeMillis()));
          assertEquals(402, broke.statusCode(), broke.body());

          // burn 10 tokens for credits at the dev feed's $0.50: 500,000 credits
          BigInteger burn = RewardSettings.TOKEN.multiply(BigInteger.TEN).min(balance);
          chain.execute(rc.token(), RewardsContracts.approveData(rc.credits(), burn));
          chain.execute(rc.credits(), RewardsContracts.burnForCreditsData(burn, owner.getAddress()));
          long burnEpoch = c.epochs().currentEpoch();
          BigInteger credits = rc.creditsOf(chain, owner.getAddress());
          assertTrue(credits.signum() > 0);
          JsonNode acct = json(get(base + "/v1/data/account", ConsumerToken.header(owner, "popw-test", System.currentTimeMillis())), 200);
          assertEquals(credits.toString(), acct.get("credits").asText());
          assertEquals(owner.getAddress().toLowerCase(), acct.get("account").asText());

          // five readings at 2 credits each
          JsonNode page = json(get(base + "/v1/data/readings?kind=sensor&limit=5", ConsumerToken.header(owner, "popw-test",
              System.currentTimeMillis())), 200);
          assertEquals(5, page.get("items").size());
          assertEquals(10, page.get("charged").asLong());
          assertTrue(page.get("items").get(0).get("envelope").asText().length() > 50, "the signed bytes, for the consumer to verify");
          assertEquals("temperature", page.get("items").get(0).get("measurements").get(0).get("quantity").asText());
          JsonNode next = json(get(base + "/v1/data/readings?kind=sensor&limit=5&cursor=" + page.get("next_cursor").asText(),
              ConsumerToken.header(owner, "popw-test", System.currentTimeMillis())), 200);
          assertTrue(!next.get("items").get(0).get("envelope_hash").asText().equals(page.get("items").get(4).get("envelope_hash").asText()),
              "the cursor moves on");
          JsonNode after = json(get(base + "/v1/data/account", ConsumerToken.header(owner, "popw-test", System.currentTimeMillis())), 200);
          assertEquals(credits.subtract(BigInteger.valueOf(20)).toString(), after.get("available").asText());

          // the epoch closes: the spending is settled on the contract
          long spentEpoch = burnEpoch;
          await(() -> c.store().credits().settlement(spentEpoch).map(x -> x.status().equals("COMMITTED")).orElse(false)
              || c.store().credits().settlement(spentEpoch + 1).map(x -> x.status().equals("COMMITTED")).orElse(false), "settled on-chain");
          await(() -> rc.creditsOf(chain, owner.getAddress()).equals(credits.subtract(BigInteger.valueOf(20))), "credits down on-chain");
          assertEquals(0, c.store().credits().unsettled(owner.getAddress().toLowerCase()));

          // the burn is re-emitted: the epoch after the burn's distributes emission + burn
          await(() -> c.rewards().orElseThrow().store().row(burnEpoch + 1).isPresent(), "rewards of the epoch after the burn");
          var row = c.rewards().orElseThrow().store().row(burnEpoch + 1).orElseThrow();
          assertEquals(burn, row.burnedPrevious());
          assertEquals(row.emission().add(burn), row.distributable());
        }
      } finally {
        sender.interrupt();
      }
      // another coordinator on this chain whose [rewards] schedule is not the token's refuses to start
      RewardsContracts rc = c.rewardsContracts().orElseThrow();
      CoordinatorSettings other = CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir.resolve("other"))
          .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(-1).withEpochs(EPOCH, Duration.ofSeconds(1))
          .withChain(ChainSettings.rpc(c.chainInfo().rpcUrl(), Anvil.keyFile(dir, Anvil.KEY0), c.chainInfo().deviceRegistry(),
              c.chainInfo().batchRegistry(), 1)).toBuilder()
          .rewards(new RewardSettings(true, s.rewards().genesis(), s.rewards().initialEpochEmission(), 365, 5, BigInteger.ZERO,
              s.rewards().poolBps(), rc)).build();
      SettingsException e = org.junit.jupiter.api.Assertions.assertThrows(SettingsException.class, () -> Coordinator.start(other).close());
      assertTrue(e.getMessage().contains("[rewards] does not match the token"), e.getMessage());
    }
  }

  static void await(BooleanSupplier cond, String what) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(200);
    }
  }

  HttpResponse<String> get(String url, String auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r, int status) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }
}
