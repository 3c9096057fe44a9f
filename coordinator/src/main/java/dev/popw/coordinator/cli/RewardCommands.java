package dev.popw.coordinator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.coordinator.SettingsException;
import dev.popw.coordinator.audit.EpochAudit;
import dev.popw.coordinator.chain.ChainKeys;
import dev.popw.coordinator.chain.EvmClient;
import dev.popw.coordinator.chain.RewardsContracts;
import dev.popw.coordinator.rewards.Consent;
import dev.popw.coordinator.rewards.RewardSettings;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The rewards commands: epoch export, audit, an owner's consent and claim (docs/rewards.md). */
final class RewardCommands {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RewardCommands() {}

  @Command(name = "epoch", mixinStandardHelpOptions = true, description = "Closed epochs: export one for an audit.",
      subcommands = {Export.class})
  static final class Epoch implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().usage(System.out);
      return 0;
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Write a closed epoch's evidence (the envelopes' exact bytes), parameters, registry state, verdicts and rewards to"
          + " a folder, for `popw-coordinator audit`. Reads the coordinator's database; with the embedded database, stop the"
          + " coordinator first.")
  static final class Export implements Callable<Integer> {
    @CommandLine.Mixin CoordinatorCli.SettingsOptions settings = new CoordinatorCli.SettingsOptions();

    @Parameters(index = "0", paramLabel = "N", description = "The epoch number (GET /v1/epochs lists them).")
    long epoch;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "A new or empty folder.")
    Path out;

    @Override
    public Integer call() {
      dev.popw.coordinator.audit.EpochExport.export(settings.load(), epoch, out, System.out::println);
      return 0;
    }
  }

  @Command(name = "audit", mixinStandardHelpOptions = true,
      description = "Re-run an exported epoch's validation and rewards from its evidence alone and compare them with what the"
          + " coordinator claimed and, with --rpc, with the rewards root on the chain. Exit code 0: every check passed; 1: one failed.")
  static final class Audit implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "A folder written by `popw-coordinator epoch export`.")
    Path dir;

    @Option(names = "--rpc", paramLabel = "URL", description = "JSON-RPC endpoint of the chain the rewards root was committed to.")
    String rpc;

    @Override
    public Integer call() {
      return EpochAudit.audit(dir, rpc, System.out::println).passed() ? 0 : 1;
    }
  }

  @Command(name = "consent", mixinStandardHelpOptions = true,
      description = "As a device's owner, sign your consent to the device (EIP-712 typed data) and send it to the coordinator: a"
          + " registration names an owner without the owner's say, and only devices whose owner consented (or staked) earn.")
  static final class Give implements Callable<Integer> {
    @Option(names = "--owner-key", required = true, paramLabel = "FILE", description = "The owner's secp256k1 key file (mode 0600).")
    Path key;

    @Option(names = "--device", required = true, paramLabel = "ID", description = "The device id (did:key:...).")
    String device;

    @Option(names = "--network", required = true, paramLabel = "ID", description = "The network id the device is registered in.")
    String network;

    @Option(names = "--api", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080", description = "Default: ${DEFAULT-VALUE}")
    String api;

    @Override
    public Integer call() throws Exception {
      Credentials owner = ChainKeys.load(key);
      byte[] sig = Consent.sign(owner, network, device);
      String body = JSON.createObjectNode().put("owner", owner.getAddress()).put("signature", Consent.hex(sig)).toString();
      HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base(api) + "/v1/devices/" + enc(device) + "/consent"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)), api);
      if (r.statusCode() != 201) {
        System.err.println("popw-coordinator: consent refused: " + error(r));
        return 1;
      }
      System.out.println("consented: " + owner.getAddress() + " accepts rewards for " + device);
      return 0;
    }
  }

  @Command(name = "claim", mixinStandardHelpOptions = true,
      description = "Fetch an owner's rewards proof from the coordinator and send the claim to the token: it pays everything owed"
          + " and not yet claimed, for every epoch up to the committed root. The key file's account pays the gas; the tokens go to"
          + " the owner (--for), by default the key's own address.")
  static final class Claim implements Callable<Integer> {
    @Option(names = "--key", required = true, paramLabel = "FILE", description = "The sender's secp256k1 key file (mode 0600).")
    Path key;

    @Option(names = "--for", paramLabel = "ADDRESS", description = "Claim for this owner (a relayer). Default: the key's address.")
    String owner;

    @Option(names = "--rpc", required = true, paramLabel = "URL", description = "JSON-RPC endpoint of the chain.")
    String rpc;

    @Option(names = "--api", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080", description = "Default: ${DEFAULT-VALUE}")
    String api;

    @Override
    public Integer call() throws Exception {
      Credentials sender = ChainKeys.load(key);
      String who = owner == null ? sender.getAddress() : owner;
      if (!who.matches("0x[0-9a-fA-F]{40}")) {
        throw new SettingsException("--for must be an address (0x + 40 hex digits), got '" + who + "'");
      }
      HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base(api) + "/v1/owners/" + who + "/rewards")).GET(), api);
      if (r.statusCode() != 200) {
        System.err.println("popw-coordinator: no rewards to claim: " + error(r));
        return 1;
      }
      JsonNode j = JSON.readTree(r.body());
      if (!j.path("claim").isObject()) {
        System.err.println("popw-coordinator: nothing to claim yet: " + (j.path("root").isNull()
            ? "no rewards root is on the chain yet" : "this coordinator commits no roots (no chain)"));
        return 1;
      }
      BigInteger claimable = new BigInteger(j.path("claimable").asText("0"));
      if (claimable.signum() == 0) {
        System.out.println("nothing to claim: " + who + " has claimed all " + RewardSettings.weiToTokens(new BigInteger(
            j.get("proof_cumulative").asText())) + " POPW owed up to epoch " + j.get("root_epoch").asLong());
        return 0;
      }
      String token = j.get("claim").get("to").asText();
      try (EvmClient chain = EvmClient.connect(rpc, sender, 0)) {
        TransactionReceipt tx = chain.execute(token, j.get("claim").get("calldata").asText());
        RewardsContracts c = new RewardsContracts(token, "", "", "", "");
        System.out.printf("claimed %s POPW for %s (epochs up to %d) in tx %s (gas %s); balance now %s POPW%n",
            RewardSettings.weiToTokens(claimable), who, j.get("root_epoch").asLong(), tx.getTransactionHash(), tx.getGasUsed(),
            RewardSettings.weiToTokens(c.balanceOf(chain, who)));
      }
      return 0;
    }
  }

  static String base(String api) {
    return api.replaceAll("/+$", "");
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static HttpResponse<String> send(HttpRequest.Builder b, String api) throws InterruptedException {
    try {
      return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
          .send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new SettingsException("cannot reach the coordinator API at " + api + " (" + (e.getMessage() == null
          ? e.getClass().getSimpleName() : e.getMessage()) + "); is it running?");
    }
  }

  static String error(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body()).path("error").asText(r.body());
    } catch (IOException e) {
      return "HTTP " + r.statusCode();
    }
  }
}
