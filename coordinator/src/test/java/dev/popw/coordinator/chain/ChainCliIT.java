package dev.popw.coordinator.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.SettingsLoader;
import dev.popw.coordinator.cli.CoordinatorCli;
import dev.popw.coordinator.testing.Anvil;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * The operator's path to a real chain: {@code chain-key} makes the account key, {@code deploy}
 * puts the contracts on the chain and prints the [chain] settings, and a coordinator started with
 * exactly those settings settles there.
 */
class ChainCliIT {
  @TempDir Path tmp;

  @Test
  void chain_key_then_deploy_prints_settings_a_coordinator_accepts() throws Exception {
    try (DevChain anvil = Anvil.start(tmp)) {
      Path key = tmp.resolve("chain.key");
      String out = run("chain-key", "--out", key.toString());
      assertTrue(out.contains("account address 0x"), out);
      assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
      String address = ChainKeys.load(key).getAddress();
      // fund the new account from anvil's account #0
      try (EvmClient funder = EvmClient.connect(anvil.rpcUrl(), Credentials.create(Anvil.KEY0), 31337)) {
        Anvil.rpc(anvil.rpcUrl(), "anvil_setBalance", "[\"" + address + "\", \"0xDE0B6B3A7640000\"]");
        assertTrue(funder.chainId() == 31337);
      }
      String deployed = run("deploy", "--rpc", anvil.rpcUrl(), "--key", key.toString(), "--chain-id", "31337");
      assertTrue(deployed.contains("[chain]") && deployed.contains("mode = \"rpc\""), deployed);
      Path cfg = tmp.resolve("coordinator.toml");
      Files.writeString(cfg, "network_id = \"popw-test\"\n" + deployed.substring(deployed.indexOf("[chain]")));
      var settings = SettingsLoader.load(cfg, Map.of());
      assertEquals("rpc", settings.chain().mode());
      try (EvmClient chain = EvmClient.connect(anvil.rpcUrl(), ChainKeys.load(key), 31337)) {
        assertTrue(new ProofBatchRegistryContract(chain, settings.chain().batchRegistry()).isCoordinator(address));
        assertTrue(new DeviceRegistryContract(chain, settings.chain().deviceRegistry()).isCoordinator(address));
      }
      assertEquals(1, CoordinatorCli.execute("deploy", "--rpc", "http://127.0.0.1:1", "--key", key.toString()),
          "an unreachable chain is a one-line error");
    }
  }

  private static String run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, CoordinatorCli.execute(args), () -> buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }
}
