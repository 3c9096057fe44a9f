package dev.popw.coordinator.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.popw.coordinator.testing.Anvil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Recompiles the contracts with the pinned solc-js and fails when contracts/build differs. */
class ContractBuildIT {
  @Test
  void checked_in_abi_and_bytecode_equal_a_fresh_compile() throws Exception {
    Anvil.binary(); // installs contracts/node_modules (solc, OpenZeppelin, anvil) when missing
    Process p = new ProcessBuilder("node", "scripts/compile.mjs", "--check").directory(Anvil.contractsDir().toFile())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(5, TimeUnit.MINUTES);
    assertEquals(0, p.exitValue(), out);
  }
}
