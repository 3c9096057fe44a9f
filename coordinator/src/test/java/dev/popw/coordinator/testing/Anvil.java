package dev.popw.coordinator.testing;

import dev.popw.coordinator.chain.ChainException;
import dev.popw.coordinator.chain.DevChain;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A real anvil for tests, from the pinned npm package in {@code contracts/}. When it is not
 * installed yet, runs {@code npm ci} there (as a fresh clone needs; see {@link ContractsNpm}). Without
 * Node.js, CI fails and a developer's run skips the chain tests.
 */
public final class Anvil {
  /** anvil's deterministic accounts #0..#2 (private keys, hex). #0 is the coordinator and admin. */
  public static final String KEY0 = DevChain.DEV_KEY;
  public static final String KEY1 = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
  public static final String KEY2 = "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
  /** anvil's account #3. */
  public static final String KEY3 = "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";

  private Anvil() {}

  /** The checkout's contracts/ folder. */
  public static Path contractsDir() {
    return ContractsNpm.contractsDir();
  }

  /** The anvil binary, installing the npm packages first if needed. */
  public static synchronized Path binary() {
    try {
      return DevChain.findAnvil("");
    } catch (ChainException notInstalled) {
      ContractsNpm.npmCi();
      return DevChain.findAnvil("");
    }
  }

  /** A fresh chain on a free port; {@code extraArgs} such as {@code --no-mining}. */
  public static DevChain start(Path dir, String... extraArgs) {
    return DevChain.start(binary(), 0, null, dir.resolve("anvil-" + System.nanoTime() + ".log"), List.of(extraArgs));
  }

  /** Writes a 0600 key file holding a hex private key. */
  public static Path keyFile(Path dir, String hexKey) throws IOException {
    Path f = dir.resolve("chain-" + System.nanoTime() + ".key");
    Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(f, "0x" + hexKey + "\n");
    return f;
  }

  /** A raw JSON-RPC call (anvil_*, evm_* methods); returns the response body. */
  public static String rpc(String url, String method, String paramsJson) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + paramsJson + "}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    if (r.body().contains("\"error\"")) {
      throw new AssertionError(method + " failed: " + r.body());
    }
    return r.body();
  }
}
