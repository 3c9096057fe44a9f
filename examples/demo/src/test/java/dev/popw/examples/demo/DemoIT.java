package dev.popw.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.popw.coordinator.chain.ChainException;
import dev.popw.coordinator.chain.DevChain;
import dev.popw.coordinator.store.BatchSettlement;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's demo scenario end to end, with a shorter sending window: real broker, database, chain and contracts. */
class DemoIT {
  @TempDir Path tmp;

  @Test
  void the_demo_scenario_settles_on_chain_and_verifies_an_inclusion() throws Exception {
    ensureAnvil();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Demo.Summary s;
    try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      s = Demo.run(tmp.resolve("demo"), Duration.ofSeconds(5), out);
    }
    String text = buf.toString(StandardCharsets.UTF_8);
    System.out.println(text);
    assertTrue(text.matches("(?s).*Explorer: http://127\\.0\\.0\\.1:\\d+/explorer/.*"), "the demo prints the explorer's URL");
    for (String device : new String[] {"weather-station", "gpu-node", "coverage-hotspot"}) {
      assertTrue(s.acceptedByDevice().get(device) >= 3, device + " delivered: " + s.acceptedByDevice());
      assertTrue(s.attestations().get(device).startsWith("0x"), device + " attested on-chain");
    }
    assertEquals(Map.of("BAD_SIGNATURE", 1L, "NOT_REGISTERED", 1L), s.rejections());
    assertEquals(1, s.duplicates());
    assertTrue(s.batches().size() >= 1);
    long inBatches = 0;
    for (BatchSettlement b : s.batches()) {
      assertEquals(BatchSettlement.CONFIRMED, b.status());
      assertTrue(b.txHash().startsWith("0x") && b.blockNumber() > 0);
      inBatches += b.batch().envelopeCount();
    }
    assertEquals(s.acceptedByDevice().values().stream().mapToLong(Long::longValue).sum(), inBatches, "every accepted envelope is in a batch");
    assertTrue(s.inclusionVerified());
    // The device's receipt carries the settlement: status, transaction and block of its batch's commit.
    assertEquals("CONFIRMED", s.inclusion().receiptBatchStatus());
    assertTrue(s.batches().stream().anyMatch(b -> b.txHash().equals(s.inclusion().receiptTxHash())
        && b.blockNumber() == s.inclusion().receiptBlock()), "the receipt names a real commit: " + s.inclusion());
    assertTrue(s.forgedProofRefused());
    // Every accepted envelope got a verdict when its epoch closed (the demo's epochs are 10 s).
    for (String device : new String[] {"weather-station", "gpu-node", "coverage-hotspot"}) {
      Demo.WorkSummary w = s.work().get(device);
      assertEquals((long) s.acceptedByDevice().get(device), w.valid() + w.invalid(), device + ": one verdict per accepted envelope " + w);
    }
    assertTrue(s.work().get("weather-station").valid() > 0, "the weather station did valid work: " + s.work());
    assertTrue(s.work().get("gpu-node").valid() > 0, "the GPU node did valid work: " + s.work());
    // The lone simulated hotspot reports witnesses of beacons nobody sent: the coverage rules see it.
    Demo.WorkSummary hotspot = s.work().get("coverage-hotspot");
    assertEquals(0, hotspot.valid(), hotspot.toString());
    assertEquals(java.util.Set.of("NO_BEACON"), hotspot.invalidByReason().keySet(), hotspot.toString());
    assertTrue(text.contains("verdict-set hash 0x"), text);
    assertTrue(text.contains("[12/12]") && text.contains("Summary"), text);
    // rewards: the weather station's valid readings earn; the lone hotspot's invalid reports earn nothing, with the reason
    Demo.RewardsRun r = s.rewards();
    assertTrue(r.epochs() >= 1, r.toString());
    assertTrue(r.rootCommitted(), "a rewards root went on-chain: " + r);
    assertTrue(r.earnedByDevice().get("weather-station").signum() > 0, r.toString());
    assertEquals(java.math.BigInteger.ZERO, r.earnedByDevice().get("coverage-hotspot"), r.toString());
    assertTrue(r.zeroReasons().get("coverage-hotspot").contains("NO_VALID_WORK"), r.toString());
    // the owner's one claim pays what its two devices earned in every epoch; the second pays nothing
    assertEquals(r.earnedByDevice().get("weather-station").add(r.earnedByDevice().get("gpu-node")), r.claimed(), r.toString());
    assertEquals(java.math.BigInteger.ZERO, r.secondClaim());
    assertEquals(r.claimed(), r.balance());
    assertTrue(r.auditPassed(), r.auditChecks().toString());
    assertTrue(r.auditChecks().stream().anyMatch(c -> c.startsWith("the distributor's root")), r.auditChecks().toString());
  }

  /** Installs contracts/node_modules (anvil) when a fresh clone lacks it; without npm, CI fails and a developer's run skips. */
  private static void ensureAnvil() throws Exception {
    try {
      DevChain.findAnvil("");
      return;
    } catch (ChainException missing) {
      Path dir = Path.of("").toAbsolutePath();
      while (dir != null && !Files.exists(dir.resolve("contracts/package.json"))) {
        dir = dir.getParent();
      }
      String why = "anvil is not installed and 'npm ci' in contracts/ failed";
      if (dir != null) {
        try {
          // Not inheritIO: the test JVM's stdin/stdout are the test runner's channel.
          Process p = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(dir.resolve("contracts").toFile())
              .redirectErrorStream(true).redirectOutput(Files.createTempFile("popw-npm-ci", ".log").toFile()).start();
          p.getOutputStream().close();
          if (p.waitFor(10, TimeUnit.MINUTES) && p.exitValue() == 0) {
            DevChain.findAnvil("");
            return;
          }
        } catch (java.io.IOException e) {
          why = "anvil is not installed and npm is not available: " + e.getMessage();
        }
      }
      if (System.getenv("CI") != null) {
        fail(why);
      }
      Assumptions.abort(why);
    }
  }
}
