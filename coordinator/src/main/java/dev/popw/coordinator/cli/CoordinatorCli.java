package dev.popw.coordinator.cli;

import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.SettingsException;
import dev.popw.coordinator.SettingsLoader;
import dev.popw.coordinator.chain.ChainException;
import dev.popw.coordinator.chain.ChainKeys;
import dev.popw.coordinator.chain.Deployment;
import dev.popw.coordinator.chain.EvmClient;
import dev.popw.coordinator.store.StoreException;
import org.web3j.crypto.Credentials;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code popw-coordinator}: the operator's command line. */
@Command(name = "popw-coordinator", mixinStandardHelpOptions = true, version = "popw-coordinator 0.1.0",
    description = "Verifies, stores and batches proofs of physical work from PoPW devices.",
    subcommands = {CoordinatorCli.Run.class, CoordinatorCli.Config.class, CoordinatorCli.Register.class,
        CoordinatorCli.Deploy.class, CoordinatorCli.ChainKey.class, MosquittoConfig.class, RewardCommands.Epoch.class,
        RewardCommands.Audit.class, RewardCommands.Give.class, RewardCommands.Claim.class})
public final class CoordinatorCli implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs a command line and returns its exit code: 0 fine, 1 failed, 2 usage error. */
  public static int execute(String... args) {
    CommandLine cl = new CommandLine(new CoordinatorCli());
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof SettingsException || e instanceof StoreException || e instanceof ChainException
          || e instanceof dev.popw.identity.SignerException || e instanceof dev.popw.coordinator.pki.PkiException
          || e instanceof dev.popw.coordinator.audit.AuditException) {
        commandLine.getErr().println("popw-coordinator: " + e.getMessage());
        return 1;
      }
      throw e;
    });
    return cl.execute(args);
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(System.out);
    return 0;
  }

  /** Options every command that reads settings has. */
  static class SettingsOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
        description = "Settings file (TOML). Default: built-in defaults; POPW_* environment variables override either.")
    Path config;

    CoordinatorSettings load() {
      warnAboutUnknownVariables();
      return SettingsLoader.load(config, System.getenv());
    }

    void warnAboutUnknownVariables() {
      for (String w : SettingsLoader.unknownVariables(System.getenv())) {
        System.err.println("popw-coordinator: warning: " + w);
      }
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Run the coordinator until interrupted (Ctrl-C or SIGTERM stop it cleanly).")
  static final class Run implements Callable<Integer> {
    @CommandLine.Mixin SettingsOptions settings = new SettingsOptions();

    @Override
    public Integer call() throws InterruptedException {
      CoordinatorSettings s = settings.load();
      Coordinator c = Coordinator.start(s);
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        c.close();
        stopped.countDown();
      }, "popw-shutdown"));
      System.out.printf("popw-coordinator: network %s, listening on %s, mqtt %s, coap %s, api %s, database %s. Ctrl-C stops.%n", s.networkId(),
          s.bindHost().equals("127.0.0.1") ? "127.0.0.1 only (bind_host)" : s.bindHost(),
          s.mqttUrl() != null ? s.mqttUrl() : c.mqttPort() >= 0 ? "embedded broker tcp/" + c.mqttPort() : "off",
          c.coapPort() >= 0 ? "udp/" + c.coapPort() : "off", c.apiPort() >= 0 ? "http/" + c.apiPort() : "off",
          s.postgresUrl() == null ? s.dataDirectory().resolve("coordinator.mv.db") : s.postgresUrl());
      stopped.await();
      return 0;
    }
  }

  @Command(name = "register", mixinStandardHelpOptions = true,
      description = "Register devices from signed registration files (as a device or a factory produces them) "
          + "with a running coordinator, through its API.")
  static final class Register implements Callable<Integer> {
    @Option(names = "--api", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
        description = "The coordinator's API. Default: ${DEFAULT-VALUE}")
    String api;

    @CommandLine.Parameters(arity = "1..*", paramLabel = "FILE", description = "Signed registration files (binary).")
    List<Path> files;

    @Override
    public Integer call() throws Exception {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      int failed = 0;
      for (Path f : files) {
        byte[] body;
        try {
          body = Files.readAllBytes(f);
        } catch (IOException e) {
          System.err.println(f + ": cannot read: " + e.getMessage());
          failed++;
          continue;
        }
        HttpResponse<String> r;
        try {
          r = http.send(HttpRequest.newBuilder(URI.create(api.replaceAll("/+$", "") + "/v1/devices"))
              .header("Content-Type", "application/octet-stream").timeout(Duration.ofSeconds(10))
              .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
          System.err.println("popw-coordinator: cannot reach the coordinator API at " + api + " (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + "); is it running?");
          return 1;
        }
        JsonNode json = new ObjectMapper().readTree(r.body());
        if (r.statusCode() == 201) {
          System.out.println(f + ": registered " + json.path("device_id").asText() + " for " + json.path("owner").asText());
        } else {
          System.err.println(f + ": refused: " + json.path("error").asText(r.body()));
          failed++;
        }
      }
      return failed == 0 ? 0 : 1;
    }
  }

  @Command(name = "config", mixinStandardHelpOptions = true,
      description = "Print the effective settings (defaults, file, environment) and check them.")
  static final class Config implements Callable<Integer> {
    @CommandLine.Mixin SettingsOptions settings = new SettingsOptions();

    @Override
    public Integer call() {
      settings.warnAboutUnknownVariables();
      Map<String, String> values = SettingsLoader.describe(settings.config, System.getenv());
      values.forEach((k, v) -> System.out.printf("%-38s = %s%n", k, v.isEmpty() ? "\"\"" : v));
      return 0;
    }
  }

  @Command(name = "deploy", mixinStandardHelpOptions = true,
      description = "Deploy DeviceRegistry and ProofBatchRegistry to an EVM chain, authorize a coordinator account on both,"
          + " and print the [chain] settings to use.")
  static final class Deploy implements Callable<Integer> {
    @Option(names = "--rpc", required = true, paramLabel = "URL", description = "JSON-RPC endpoint of the chain.")
    String rpc;

    @Option(names = "--key", required = true, paramLabel = "FILE",
        description = "The deployer's secp256k1 key file (mode 0600); it becomes the contracts' admin.")
    Path key;

    @Option(names = "--coordinator", paramLabel = "ADDRESS",
        description = "Coordinator account to authorize. Default: the deployer's own address.")
    String coordinator;

    @Option(names = "--chain-id", defaultValue = "0", paramLabel = "ID",
        description = "Refuse to deploy unless the node reports this chain id (0: any). Default: ${DEFAULT-VALUE}")
    long chainId;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the addresses to this JSON file.")
    Path out;

    @Override
    public Integer call() {
      Credentials credentials = ChainKeys.load(key);
      if (coordinator != null && !coordinator.matches("0x[0-9a-fA-F]{40}")) {
        throw new SettingsException("--coordinator must be an address (0x + 40 hex digits), got '" + coordinator + "'");
      }
      try (EvmClient chain = EvmClient.connect(rpc, credentials, chainId)) {
        System.out.printf("deploying from %s on chain %d (balance %s wei)...%n", chain.address(), chain.chainId(), chain.balance());
        Deployment d = Deployment.deploy(chain, coordinator == null ? chain.address() : coordinator);
        if (out != null) {
          d.write(out);
        }
        System.out.printf("deployed. Put this in the coordinator's settings file:%n%n[chain]%nmode = \"rpc\"%nrpc_url = \"%s\"%n"
            + "chain_id = %d%nkey_file = \"%s\"%ndevice_registry = \"%s\"%nbatch_registry = \"%s\"%n",
            rpc, d.chainId(), key, d.deviceRegistry(), d.batchRegistry());
      }
      return 0;
    }
  }

  @Command(name = "chain-key", mixinStandardHelpOptions = true,
      description = "Create a new secp256k1 account key file (mode 0600) for the coordinator and print its address.")
  static final class ChainKey implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the key (never overwritten).")
    Path out;

    @Override
    public Integer call() {
      Credentials c = ChainKeys.generate(out);
      System.out.println("wrote " + out + "; account address " + c.getAddress() + " (fund it with gas on your chain)");
      return 0;
    }
  }
}
