package dev.popw.examples;

import dev.popw.agent.gpu.NvidiaSmi;
import dev.popw.client.DeviceClient;
import dev.popw.identity.DeviceSigners;
import dev.popw.transport.coap.CoapTransport;
import java.nio.file.Path;

/** A GPU node: nvidia-smi telemetry of every GPU → signed → CoAP, every 30 s. */
public final class GpuNode {
  public static void main(String[] args) throws Exception {
    DeviceClient client = DeviceClient.builder()
        .signer(DeviceSigners.open(args.length > 0 ? args[0] : "/etc/popw/device.key"))
        .transport(CoapTransport.builder().uri(args.length > 1 ? args[1] : "coap://127.0.0.1:5683/v1/telemetry").build())
        .stateDirectory(Path.of(args.length > 2 ? args[2] : "/var/lib/popw"))
        .networkId("popw-devnet")
        // the coordinator key (64 hex digits) that signs receipts: POST /v1/devices answers with it
        .coordinatorKey(args.length > 3 ? args[3] : java.util.Objects.requireNonNullElse(System.getenv("POPW_COORDINATOR_KEY"), ""))
        .build();
    NvidiaSmi gpus = new NvidiaSmi("nvidia-smi");
    while (true) {
      try {
        client.submit(gpus.query());
      } catch (NvidiaSmi.GpuUnavailableException e) {
        System.err.println("gpu-node: " + e.getMessage());   // no GPU or no driver: say so, keep trying
      }
      Thread.sleep(30_000);
    }
  }
}
