package dev.popw.coordinator.chain;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the coordinator settles batches.
 *
 * @param mode {@code off}: batches stay in the database; {@code dev}: start a local anvil chain
 *     (npm package @foundry-rs/anvil), deploy the contracts, settle there; {@code rpc}: settle on
 *     the chain at {@code rpcUrl} with the contracts at the given addresses
 * @param chainId expected chain id; 0 accepts what the node reports
 * @param keyFile the coordinator's secp256k1 account key (mode 0600); unused in dev mode
 * @param confirmations blocks (counting the one holding the commit) before a batch is CONFIRMED
 * @param pollInterval how often pending work is checked against the chain
 * @param resubmitAfter a commit not mined after this long is sent again with higher fees
 * @param anvil the anvil binary for dev mode; empty: look in contracts/node_modules, then PATH
 * @param devPort dev mode's JSON-RPC port; 0 picks a free one
 */
public record ChainSettings(String mode, String rpcUrl, long chainId, Path keyFile, String deviceRegistry,
    String batchRegistry, int confirmations, Duration pollInterval, Duration resubmitAfter, String anvil, int devPort) {

  public static ChainSettings off() {
    return new ChainSettings("off", "", 0, null, "", "", 2, Duration.ofSeconds(2), Duration.ofMinutes(3), "", 8545);
  }

  /** Dev mode: a local anvil, one confirmation. */
  public static ChainSettings dev(int port) {
    return new ChainSettings("dev", "", 0, null, "", "", 1, Duration.ofMillis(500), Duration.ofMinutes(3), "", port);
  }

  /** Settle on an existing chain. */
  public static ChainSettings rpc(String url, Path keyFile, String deviceRegistry, String batchRegistry, int confirmations) {
    return new ChainSettings("rpc", url, 0, keyFile, deviceRegistry, batchRegistry, confirmations, Duration.ofMillis(500),
        Duration.ofMinutes(3), "", 0);
  }

  public boolean enabled() {
    return !"off".equals(mode);
  }

  public ChainSettings withPollInterval(Duration d) {
    return new ChainSettings(mode, rpcUrl, chainId, keyFile, deviceRegistry, batchRegistry, confirmations, d, resubmitAfter, anvil, devPort);
  }
}
