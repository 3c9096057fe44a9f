package dev.popw.coordinator.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.popw.coordinator.registry.DeviceRegistry;
import dev.popw.coordinator.store.DeviceRecord;
import dev.popw.coordinator.store.DeviceStore;
import dev.popw.identity.DeviceId;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator actions, mounted in {@link RestApi}. Every path under {@code /v1/operator/} needs an
 * operator token, checked before routing ({@link RequestGuard#needsToken}, through {@link
 * #covers}): an endpoint added here is protected without a check of its own.
 *
 * <pre>
 *   POST /v1/operator/devices/{id}/deactivate   its envelopes are then rejected as DEVICE_INACTIVE
 *   POST /v1/operator/devices/{id}/reactivate
 * </pre>
 *
 * Each action is logged with the token's source (a file line, or the environment variable), never
 * the token, and counted in {@code popw_api_operator_actions_total{action}}.
 */
final class OperatorRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(OperatorRoutes.class);

  private final DeviceRegistry registry;
  private final DeviceStore devices;
  private final Function<DeviceRecord, ObjectNode> deviceJson;
  private final Runnable deactivated;
  private final Runnable reactivated;

  OperatorRoutes(DeviceRegistry registry, DeviceStore devices, Function<DeviceRecord, ObjectNode> deviceJson, Metrics metrics) {
    this.registry = registry;
    this.devices = devices;
    this.deviceJson = deviceJson;
    this.deactivated = metrics.operatorActions("deactivate_device");
    this.reactivated = metrics.operatorActions("reactivate_device");
  }

  /** Whether a request path is an operator one: {@code /v1/operator} and everything under it. */
  static boolean covers(String path) {
    String[] p = path.split("/");
    return p.length >= 3 && p[0].isEmpty() && p[1].equals("v1") && p[2].equals("operator");
  }

  /** Answers an operator request; false when the path is not one of its own. */
  boolean handle(HttpExchange ex, String method, String[] p) throws IOException {
    if (p.length == 6 && p[3].equals("devices") && (p[5].equals("deactivate") || p[5].equals("reactivate")) && method.equals("POST")) {
      setActive(ex, p[4], p[5].equals("reactivate")); // segments arrive decoded
      return true;
    }
    return false;
  }

  private void setActive(HttpExchange ex, String id, boolean active) throws IOException {
    DeviceId device;
    try {
      device = DeviceId.parse(id);
    } catch (RuntimeException e) {
      throw new RestApi.BadRequest("not a device id: " + id);
    }
    Optional<DeviceRecord> before = devices.device(device.toString());
    if (before.isEmpty()) {
      RestApi.error(ex, 404, "no registered device " + id);
      return;
    }
    boolean changed = before.get().active() != active;
    if (changed) {
      registry.setActive(device, active);
    }
    (active ? reactivated : deactivated).run();
    LOG.info("operator action from {} with the token of {}: {} device {}{}", ex.getRemoteAddress().getAddress().getHostAddress(),
        ex.getAttribute(RequestGuard.OPERATOR), active ? "reactivated" : "deactivated", device, changed ? "" : " (it already was)");
    ObjectNode n = deviceJson.apply(devices.device(device.toString()).orElseThrow());
    n.put("changed", changed);
    RestApi.json(ex, 200, n);
  }
}
