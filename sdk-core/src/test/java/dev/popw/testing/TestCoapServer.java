package dev.popw.testing;

import com.google.protobuf.ByteString;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.VerificationResult;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.Receipt;
import java.net.InetSocketAddress;
import java.security.PublicKey;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.scandium.ConnectionListener;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.Connection;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedMultiPskStore;
import org.eclipse.californium.scandium.dtls.x509.SingleCertificateProvider;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;

/**
 * A real Californium server in the test JVM with the coordinator's CoAP contract: POST
 * {@code /v1/telemetry}, the receipt in the response. Plain CoAP, or DTLS with PSK / raw public keys
 * and an optional Connection ID.
 */
public final class TestCoapServer implements AutoCloseable {
  private static final dev.popw.identity.SoftwareSigner COORDINATOR_KEY = TestKeys.coordinator();
  static {
    CoapConfig.register();
    UdpConfig.register();
    DtlsConfig.register();
  }

  private final CoapServer server;
  private final CoapEndpoint endpoint;
  private final EnvelopeVerifier verifier = EnvelopeVerifier.create();
  private final List<ReceivedEnvelope> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger handshakes = new AtomicInteger();

  private TestCoapServer(CoapEndpoint endpoint) {
    this.endpoint = endpoint;
    server = new CoapServer(Configuration.createStandardWithoutFile());
    server.addEndpoint(endpoint);
    CoapResource v1 = new CoapResource("v1");
    v1.add(new CoapResource("telemetry") {
      @Override
      public void handlePOST(CoapExchange exchange) {
        onTelemetry(exchange);
      }
    });
    server.add(v1);
    server.start();
  }

  public static TestCoapServer plain() {
    Configuration cfg = Configuration.createStandardWithoutFile();
    return new TestCoapServer(new CoapEndpoint.Builder().setConfiguration(cfg)
        .setInetSocketAddress(new InetSocketAddress("127.0.0.1", 0)).build());
  }

  /**
   * A DTLS server. {@code cidLength} null disables Connection ID. Either {@code pskIdentity} or
   * {@code rpk} (private key, public key) must be given.
   */
  public static TestCoapServer dtls(Integer cidLength, String pskIdentity, byte[] pskSecret,
      java.security.PrivateKey rpkPrivate, PublicKey rpkPublic) {
    Configuration cfg = Configuration.createStandardWithoutFile();
    DtlsConnectorConfig.Builder b = DtlsConnectorConfig.builder(cfg)
        .set(DtlsConfig.DTLS_ROLE, DtlsConfig.DtlsRole.SERVER_ONLY)
        .setAddress(new InetSocketAddress("127.0.0.1", 0));
    if (cidLength != null) {
      b.set(DtlsConfig.DTLS_CONNECTION_ID_LENGTH, cidLength);
    }
    if (pskIdentity != null) {
      AdvancedMultiPskStore store = new AdvancedMultiPskStore();
      store.setKey(pskIdentity, pskSecret);
      b.setAdvancedPskStore(store);
    }
    if (rpkPrivate != null) {
      b.setCertificateIdentityProvider(new SingleCertificateProvider(rpkPrivate, rpkPublic));
      b.setAdvancedCertificateVerifier(StaticNewAdvancedCertificateVerifier.builder().setTrustAllRPKs().build());
    }
    AtomicInteger counter = new AtomicInteger();
    b.setConnectionListener(new ConnectionListener() {
      @Override
      public void onConnectionEstablished(Connection connection) {
        counter.incrementAndGet();
      }

      @Override
      public void onConnectionRemoved(Connection connection) {}

      @Override
      public boolean onConnectionUpdatesSequenceNumbers(Connection connection, boolean close) {
        return false;
      }

      @Override
      public boolean onConnectionMacError(Connection connection) {
        return false;
      }

      @Override
      public void beforeExecution(Connection connection) {}

      @Override
      public void updateExecution(Connection connection) {}

      @Override
      public void afterExecution(Connection connection) {}
    });
    DTLSConnector connector = new DTLSConnector(b.build());
    TestCoapServer s = new TestCoapServer(new CoapEndpoint.Builder().setConfiguration(cfg).setConnector(connector).build());
    s.handshakeCounter = counter;
    return s;
  }

  private AtomicInteger handshakeCounter;

  private void onTelemetry(CoapExchange exchange) {
    VerificationResult r = verifier.verify(exchange.getRequestPayload());
    long seq = r.telemetry().map(t -> t.getSequence()).orElse(-1L);
    byte[] hash = r.envelopeHash().orElse(new byte[0]);
    received.add(new ReceivedEnvelope(exchange.getSourceSocketAddress().toString(), r, seq, Hex.encode(hash)));
    Receipt receipt = Receipt.newBuilder()
        .setEnvelopeHash(ByteString.copyFrom(hash)).setSequence(seq)
        .setStatus(r.isOk() ? Receipt.Status.ACCEPTED : Receipt.Status.REJECTED)
        .setReason(r.isOk() ? "" : r.reason().name())
        .setDeviceId(r.telemetry().map(t -> t.getDeviceId()).orElse(ByteString.EMPTY))
        .setCoordinatorTimeMs(System.currentTimeMillis()).build();
    exchange.respond(r.isOk() ? CoAP.ResponseCode.CREATED : CoAP.ResponseCode.BAD_REQUEST,
        dev.popw.receipt.Receipts.sign(receipt, COORDINATOR_KEY), MediaTypeRegistry.APPLICATION_OCTET_STREAM);
  }

  public int port() {
    return endpoint.getAddress().getPort();
  }

  public InetSocketAddress address() {
    return endpoint.getAddress();
  }

  public List<ReceivedEnvelope> received() {
    return received;
  }

  /** DTLS connections established (full handshakes) so far; 0 for plain CoAP. */
  public int handshakes() {
    return handshakeCounter == null ? 0 : handshakeCounter.get();
  }

  @Override
  public void close() {
    server.destroy();
  }
}
