package dev.popw.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popw.agent.Agent;
import dev.popw.agent.AgentSettings;
import dev.popw.agent.AgentSettingsException;
import dev.popw.agent.hwkey.HardwareKeys;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.DeviceSigners;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.identity.SignerException;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code popw-agent}: the hobbyist's command line. */
@Command(name = "popw-agent", mixinStandardHelpOptions = true, version = "popw-agent 0.1.0",
    description = "Signs sensor, GPU and radio-coverage telemetry with this device's key and delivers it to a PoPW coordinator.",
    subcommands = {AgentCli.Keygen.class, AgentCli.Info.class, AgentCli.Register.class, AgentCli.Run.class, AgentCli.Status.class})
public final class AgentCli implements Callable<Integer> {
  static final ObjectMapper JSON = new ObjectMapper();
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs a command line; returns 0 fine, 1 failed, 2 usage error. User mistakes are one line, never a stack trace. */
  public static int execute(String... args) {
    CommandLine cl = new CommandLine(new AgentCli());
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof AgentSettingsException || e instanceof SignerException || e instanceof IOException
          || e instanceof UncheckedIOException || e instanceof IllegalArgumentException) {
        commandLine.getErr().println("popw-agent: " + e.getMessage());
        return 1;
      }
      if (System.getenv("POPW_DEBUG") == null) {
        commandLine.getErr().println("popw-agent: unexpected error: " + e + " (set POPW_DEBUG=1 for the stack trace)");
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

  /** The settings option every command has. */
  static class SettingsOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
        description = "Settings file (TOML; sample: device-agent/config/agent.toml). Default: built-in defaults; POPW_* variables override.")
    Path config;

    AgentSettings load() {
      Map<String, String> env = System.getenv();
      for (String w : AgentSettings.unknownVariables(env)) {
        System.err.println("popw-agent: warning: " + w);
      }
      return AgentSettings.load(config, env);
    }
  }

  @Command(name = "keygen", mixinStandardHelpOptions = true,
      description = "Create this device's key and print its device id: in a key file (mode 0600), or inside a hardware token"
          + " (--signer pkcs11:... for an HSM, SoftHSM or a TPM 2.0 through tpm2-pkcs11; --signer ecc608://i2c-1:0x60?slot=0"
          + " for an ATECC608), where the private key is made and stays. Never replaces an existing key.")
  static final class Keygen implements Callable<Integer> {
    @CommandLine.Mixin SettingsOptions settings = new SettingsOptions();

    @Option(names = {"-t", "--type"}, paramLabel = "TYPE",
        description = "ed25519, p256 or secp256k1 (secp256k1 has an EVM address and can register itself on-chain). Default: ed25519"
            + " for a key file, p256 in a hardware token (the only type tokens and the ECC608 share).")
    String type;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Where to write the key file. Default: key_file from the settings.")
    Path out;

    @Option(names = "--signer", paramLabel = "URI",
        description = "Make the key in a token instead: pkcs11:token=LABEL;object=KEYLABEL?module-path=LIB&pin-source=file:PINFILE"
            + " (RFC 7512; pin-source=env:VAR, or POPW_PKCS11_PIN; never the PIN itself), or ecc608://i2c-1:0x60?slot=0."
            + " Put the same URI in key_file. Default: key_file from the settings when it is such a URI.")
    String signer;

    @Override
    public Integer call() {
      String target = signer != null ? signer.strip() : out != null ? null : settings.load().string("key_file").strip();
      if (target != null && HardwareKeys.isHardware(target)) {
        KeyType t = type == null ? KeyType.ECDSA_P256 : KeyType.parse(type);
        if (t != KeyType.ECDSA_P256) {
          throw new AgentSettingsException("hardware tokens hold P-256 keys here: --type p256 (or leave --type out), not " + t.label());
        }
        try (DeviceSigner s = HardwareKeys.generate(target)) {
          System.out.println("generated a P-256 key in " + s.storage() + "; the private key stays there");
          System.out.println("signer: " + target);
          System.out.println("device id: " + s.deviceId());
        }
        return 0;
      }
      KeyType t = KeyType.parse(type == null ? "ed25519" : type);
      Path file = out != null ? out : Path.of(target);
      SoftwareSigner s = KeyFiles.generate(t, file);
      System.out.println("wrote " + file + " (" + t + ")");
      System.out.println("device id: " + s.deviceId());
      if (t == KeyType.ECDSA_SECP256K1) {
        System.out.println("evm address: " + EvmAddress.fromPublicKey(s.publicKey()));
      }
      s.close();
      return 0;
    }
  }

  @Command(name = "info", mixinStandardHelpOptions = true, description = "Show the device id, key type, where the key is held (software, PKCS#11 token, TPM, ECC608 serial), EVM address, outbox state and transport.")
  static final class Info implements Callable<Integer> {
    @CommandLine.Mixin SettingsOptions settings = new SettingsOptions();

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      AgentSettings s = settings.load();
      ObjectNode n = JSON.createObjectNode();
      try (DeviceSigner signer = DeviceSigners.open(s.string("key_file"))) {
        n.put("device_id", signer.deviceId().toString());
        n.put("key_type", signer.keyType().toString());
        n.put("key_file", s.string("key_file"));
        n.put("key_storage", signer.storage().toString());
        if (signer.keyType() == KeyType.ECDSA_SECP256K1) {
          n.put("evm_address", EvmAddress.fromPublicKey(signer.publicKey()).toString());
        }
      }
      n.put("network_id", s.string("network_id"));
      n.put("transport", s.string("transport.url"));
      n.put("state_dir", s.string("state_dir"));
      JsonNode st = Status.read(s.path("state_dir"));
      n.put("agent", st == null ? "never ran here" : Status.alive(st) ? "running (pid " + st.path("pid").asLong() + ")" : "not running");
      n.put("outbox_queued", st == null ? 0 : st.path("queued").asLong());
      n.put("outbox_bytes_on_disk", outboxBytes(s.path("state_dir").resolve("outbox")));
      print(n, json);
      return 0;
    }

    private static long outboxBytes(Path dir) throws IOException {
      if (!Files.isDirectory(dir)) {
        return 0;
      }
      try (var files = Files.list(dir)) {
        return files.mapToLong(f -> f.toFile().length()).sum();
      }
    }
  }

  @Command(name = "register", mixinStandardHelpOptions = true,
      description = "Register this device with the coordinator, bound to the owner's EVM address (rewards go there). Pins the"
          + " coordinator's receipt key and stores the MQTT client certificate the coordinator issues for this device's key"
          + " (state_dir/device.crt), which ssl:// brokers that authenticate devices by certificate need.")
  static final class Register implements Callable<Integer> {
    @CommandLine.Mixin SettingsOptions settings = new SettingsOptions();

    @Option(names = "--owner", required = true, paramLabel = "ADDRESS", description = "The owner's EVM address (0x + 40 hex digits).")
    String owner;

    @Option(names = "--kind", paramLabel = "KIND", description = "sensor, coverage or gpu. Default: kind from the settings.")
    String kind;

    @Option(names = "--api", paramLabel = "URL", description = "The coordinator's API. Default: coordinator.api_url from the settings.")
    String api;

    @Override
    public Integer call() throws Exception {
      AgentSettings s = settings.load();
      EvmAddress ownerAddress;
      try {
        ownerAddress = EvmAddress.parse(owner);
      } catch (IllegalArgumentException e) {
        throw new AgentSettingsException("--owner: " + e.getMessage());
      }
      String k = (kind != null ? kind : s.string("kind")).toUpperCase(Locale.ROOT);
      DeviceKind dk;
      try {
        dk = DeviceKind.valueOf(k);
      } catch (IllegalArgumentException e) {
        throw new AgentSettingsException("kind must be sensor, coverage or gpu, got '" + k.toLowerCase(Locale.ROOT) + "'");
      }
      String base = (api != null ? api : s.string("coordinator.api_url")).replaceAll("/+$", "");
      byte[] signed;
      dev.popw.identity.DeviceId device;
      try (DeviceSigner signer = DeviceSigners.open(s.string("key_file"))) {
        signed = Registrations.sign(signer, ownerAddress, dk, null, s.string("network_id"), Clock.systemUTC(), signer.storage());
        device = signer.deviceId();
      }
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> r;
      try {
        r = http.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/devices")).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(signed)).build(),
            HttpResponse.BodyHandlers.ofString());
      } catch (IOException | IllegalArgumentException e) {
        throw new AgentSettingsException("cannot reach the coordinator at " + base + " (" + (e.getMessage() == null
            ? e.getClass().getSimpleName() : e.getMessage()) + "); is it running, and is coordinator.api_url right?");
      }
      JsonNode body;
      try {
        body = JSON.readTree(r.body());
      } catch (IOException e) {
        body = JSON.createObjectNode();
      }
      if (r.statusCode() != 201) {
        throw new AgentSettingsException("the coordinator refused the registration: " + body.path("error").asText(r.body()));
      }
      String key = storeCoordinatorKey(s, body.path("coordinator_key").asText(""));
      System.out.println("registered " + body.path("device_id").asText() + " as " + k.toLowerCase(Locale.ROOT) + " for owner "
          + ownerAddress + " on " + s.string("network_id"));
      System.out.println("coordinator key " + key + " pinned: only receipts it signs count");
      System.out.println(dev.popw.agent.DeviceCertificate.fetch(http, base, device, s.path("state_dir")));
      return 0;
    }

    /**
     * Pins the key the coordinator answered with ({@code state_dir/coordinator-key}). A key already
     * pinned (in the settings or the state directory) that differs is an error, not replaced:
     * whoever answers a later registration must not be able to swap the key silently.
     */
    static String storeCoordinatorKey(AgentSettings s, String answered) throws IOException {
      try {
        dev.popw.receipt.ReceiptTrust.pinned(answered);
      } catch (IllegalArgumentException e) {
        throw new AgentSettingsException("the coordinator at " + s.string("coordinator.api_url")
            + " sent no valid coordinator_key with the registration (" + e.getMessage() + "); is it older than this agent?");
      }
      String key = answered.strip().toLowerCase(Locale.ROOT);
      String configured = s.string("coordinator.key").strip().toLowerCase(Locale.ROOT);
      if (!configured.isEmpty() && !configured.equals(key)) {
        throw new AgentSettingsException("the coordinator answered with key " + key + ", but coordinator.key is " + configured
            + "; registered, but the agent will ignore this coordinator's receipts until the two agree");
      }
      java.nio.file.Path file = s.path("state_dir").resolve(dev.popw.agent.Agent.COORDINATOR_KEY_FILE);
      if (java.nio.file.Files.exists(file)) {
        String pinned = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.US_ASCII).strip().toLowerCase(Locale.ROOT);
        if (!pinned.equals(key)) {
          throw new AgentSettingsException("the coordinator answered with key " + key + ", but " + file + " pins " + pinned
              + "; if the coordinator's key really changed, delete that file and register again");
        }
        return key;
      }
      java.nio.file.Files.createDirectories(file.getParent());
      java.nio.file.Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      java.nio.file.Files.writeString(tmp, key + "\n", java.nio.charset.StandardCharsets.US_ASCII);
      java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      return key;
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Run the agent until SIGTERM or Ctrl-C, which stop it cleanly (queued telemetry is flushed first, up to 10 s).")
  static final class Run implements Callable<Integer> {
    @CommandLine.Mixin SettingsOptions settings = new SettingsOptions();

    @Override
    public Integer call() throws InterruptedException {
      Agent agent = Agent.start(settings.load());
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        agent.close();
        stopped.countDown();
      }, "popw-agent-shutdown"));
      stopped.await();
      return 0;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show whether the agent runs, what it delivered and how each source is doing.")
  static final class Status implements Callable<Integer> {
    @CommandLine.Mixin SettingsOptions settings = new SettingsOptions();

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    static JsonNode read(Path stateDir) {
      Path f = stateDir.resolve(Agent.STATUS_FILE);
      if (!Files.exists(f)) {
        return null;
      }
      try {
        return JSON.readTree(f.toFile());
      } catch (IOException e) {
        return null;
      }
    }

    /** Running: the status says so, was written in the last 30 s, and its process lives. */
    static boolean alive(JsonNode st) {
      return st.path("running").asBoolean() && updatedAt(st).map(t -> Duration.between(t, Instant.now()).toSeconds() < 30).orElse(false)
          && ProcessHandle.of(st.path("pid").asLong()).map(ProcessHandle::isAlive).orElse(false);
    }

    private static Optional<Instant> updatedAt(JsonNode st) {
      try {
        return st.hasNonNull("updated_at") ? Optional.of(Instant.parse(st.path("updated_at").asText()))
            : st.hasNonNull("updated_at_ms") ? Optional.of(Instant.ofEpochMilli(st.path("updated_at_ms").asLong())) // an older agent's
            : Optional.empty();
      } catch (java.time.format.DateTimeParseException e) {
        return Optional.empty();
      }
    }

    @Override
    public Integer call() {
      AgentSettings s = settings.load();
      JsonNode st = read(s.path("state_dir"));
      if (st == null) {
        throw new AgentSettingsException("the agent has not run with state_dir " + s.string("state_dir") + " (start it with 'popw-agent run')");
      }
      boolean running = alive(st);
      ObjectNode n = ((ObjectNode) st).deepCopy();
      n.put("running", running);
      if (!running) {
        n.put("connected", false); // whatever the last status said: an agent that crashed wrote no final one
      }
      print(n, json);
      return running ? 0 : 3;
    }
  }

  static void print(ObjectNode n, boolean json) {
    if (json) {
      try {
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return;
    }
    n.fields().forEachRemaining(e -> {
      if (e.getValue().isObject()) {
        System.out.println(e.getKey() + ":");
        e.getValue().fields().forEachRemaining(x -> System.out.printf("  %-20s %s%n", x.getKey(), x.getValue().asText()));
      } else {
        System.out.printf("%-22s %s%n", e.getKey(), e.getValue().asText());
      }
    });
  }
}
