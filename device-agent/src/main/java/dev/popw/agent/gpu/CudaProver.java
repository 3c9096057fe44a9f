package dev.popw.agent.gpu;

import com.google.protobuf.ByteString;
import dev.popw.gpuproof.ProofParameters;
import dev.popw.proto.v1.GpuProbeRead;
import dev.popw.proto.v1.GpuTileOpening;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The CUDA prover: the program {@code popw-gpu-prover} built from device-agent/cuda by its own
 * script (nvcc), run as a child process per challenge (docs/gpu-proofs.md, "The CUDA prover").
 * A process rather than a Java CUDA binding: it needs only the toolkit that matches the host's
 * driver, a crash in it cannot take the agent down, and the agent jar stays free of native code.
 *
 * <p>NOT YET MEASURED ON A GPU: the program compiles, and its host code reproduces the documented
 * vector, but it has not run on a GPU yet.
 */
public final class CudaProver implements GpuProver {
  private static final HexFormat HEX = HexFormat.of();

  private final Path program;
  private final String description;
  private volatile Process running;

  private CudaProver(Path program, String description) {
    this.program = program;
    this.description = description;
  }

  /** The result of looking for a usable CUDA prover: the prover, or why there is none. */
  public record Detection(CudaProver prover, String reason) {}

  /**
   * Finds the program ({@code configured}, else {@code popw-gpu-prover} beside the agent's jar, in
   * the checkout's device-agent/target/cuda, then on the PATH) and asks it for the GPUs ({@code --info}).
   */
  public static Detection detect(String configured) {
    Path p = locate(configured);
    if (p == null) {
      return new Detection(null, (configured.isBlank() ? "popw-gpu-prover not found" : configured + " not found")
          + " (build it with device-agent/cuda/build.sh, which needs nvcc)");
    }
    try {
      Process proc = new ProcessBuilder(p.toString(), "--info").redirectErrorStream(true).start();
      String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!proc.waitFor(30, TimeUnit.SECONDS)) {
        proc.destroyForcibly();
        return new Detection(null, p + " --info did not answer within 30 s");
      }
      if (proc.exitValue() != 0) {
        String first = out.lines().findFirst().orElse("exit " + proc.exitValue());
        return new Detection(null, p + ": " + (first.startsWith("error ") ? first.substring(6) : first));
      }
      List<String> devices = out.lines().filter(l -> l.startsWith("device ")).toList();
      if (devices.isEmpty()) {
        return new Detection(null, p + " --info lists no GPU");
      }
      String name = devices.get(0).split(" ", 5).length == 5 ? devices.get(0).split(" ", 5)[4] : "GPU";
      return new Detection(new CudaProver(p, "cuda " + name + (devices.size() > 1 ? " (+" + (devices.size() - 1) + ")" : "")), null);
    } catch (IOException e) {
      return new Detection(null, p + " cannot run: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Detection(null, "interrupted while asking " + p + " for its GPUs");
    }
  }

  static Path locate(String configured) {
    List<Path> candidates = new ArrayList<>();
    if (!configured.isBlank()) {
      candidates.add(Path.of(configured));
    } else {
      try {
        Path jar = Path.of(CudaProver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = Files.isDirectory(jar) ? jar : jar.getParent();
        candidates.add(dir.resolve("popw-gpu-prover"));
        candidates.add(dir.resolve("cuda").resolve("popw-gpu-prover"));
        candidates.add(dir.resolve("..").resolve("cuda").resolve("popw-gpu-prover").normalize());
      } catch (Exception e) {
        // no code source: only the PATH
      }
      for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
        if (!d.isEmpty()) {
          candidates.add(Path.of(d, "popw-gpu-prover"));
        }
      }
    }
    for (Path c : candidates) {
      if (Files.isRegularFile(c) && Files.isExecutable(c)) {
        return c;
      }
    }
    return null;
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public String refusal(ProofParameters p) {
    return null; // the program says what it cannot do
  }

  @Override
  public Proof prove(ProofParameters p, String gpuUuid) throws IOException, InterruptedException {
    Process proc = new ProcessBuilder(program.toString(), "--prove", gpuUuid, Integer.toString(p.n()), Integer.toString(p.tile()),
        Integer.toString(p.matrices()), HEX.formatHex(p.seed()), Long.toString(p.probeBytes())).redirectErrorStream(true).start();
    running = proc;
    BufferedReader in = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.US_ASCII));
    Writer out = new OutputStreamWriter(proc.getOutputStream(), StandardCharsets.US_ASCII);
    String line = in.readLine();
    if (line == null || !line.startsWith("root ")) {
      proc.destroyForcibly();
      throw new IOException("popw-gpu-prover: " + (line == null ? "exited without a result" : line.startsWith("error ") ? line.substring(6) : line));
    }
    String[] f = line.split(" ");
    byte[] root = HEX.parseHex(f[1]);
    long ms = Long.parseLong(f[2]);
    return new Proof() {
      @Override
      public byte[] root() {
        return root.clone();
      }

      @Override
      public long computeMillis() {
        return ms;
      }

      @Override
      public synchronized GpuTileOpening open(long leaf) throws IOException {
        String[] a = ask("open " + leaf, "tile ");
        GpuTileOpening.Builder b = GpuTileOpening.newBuilder().setIndex(Long.parseLong(a[1])).setData(ByteString.copyFrom(HEX.parseHex(a[2])));
        if (a.length > 3 && !a[3].isEmpty()) {
          for (String s : a[3].split(",")) {
            b.addProof(ByteString.copyFrom(HEX.parseHex(s)));
          }
        }
        return b.build();
      }

      @Override
      public synchronized GpuProbeRead read(long block) throws IOException {
        String[] a = ask("read " + block, "block ");
        return GpuProbeRead.newBuilder().setBlock(Long.parseLong(a[1])).setData(ByteString.copyFrom(HEX.parseHex(a[2]))).build();
      }

      private String[] ask(String command, String expect) throws IOException {
        out.write(command + "\n");
        out.flush();
        String r = in.readLine();
        if (r == null || !r.startsWith(expect)) {
          throw new IOException("popw-gpu-prover: " + (r == null ? "exited" : r.startsWith("error ") ? r.substring(6) : r));
        }
        return r.split(" ");
      }

      @Override
      public void close() {
        try {
          out.write("quit\n");
          out.flush();
          if (!proc.waitFor(5, TimeUnit.SECONDS)) {
            proc.destroyForcibly();
          }
        } catch (IOException e) {
          proc.destroyForcibly();
        } catch (InterruptedException e) {
          proc.destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
    };
  }

  /** Ends a running computation (the agent stops, or a newer challenge replaces it). */
  @Override
  public void close() {
    Process p = running;
    if (p != null) {
      p.destroyForcibly();
    }
  }
}
