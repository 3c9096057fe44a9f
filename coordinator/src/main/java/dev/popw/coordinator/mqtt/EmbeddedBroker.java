package dev.popw.coordinator.mqtt;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's embedded MQTT broker, so that the default setup needs no external service.
 * It speaks MQTT 3.1.1 and 5 (Netty's codec) with what devices and dashboards need: QoS 0 and 1,
 * wildcard and shared subscriptions, keep-alive, client take-over. It deliberately has no
 * persistent sessions, retained messages, wills or QoS 2 (CONNACK says so in MQTT 5): production
 * deployments that need those use an external broker (Mosquitto, EMQX, HiveMQ).
 *
 * <p>The coordinator attaches in-process with {@link #subscribeInternal}. A publisher's QoS 1
 * PUBACK is sent only after every internal subscriber's future completes, so a device's PUBACK
 * means "committed to the database". If an internal subscriber fails, an MQTT 5 client gets a
 * PUBACK with reason 0x80 and an MQTT 3.1.1 client is disconnected; either way it sends again.
 */
public final class EmbeddedBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
  private static final int RECEIVE_MAXIMUM = 1000;
  private static final int MAX_MESSAGE_BYTES = 256 * 1024;

  /** An in-process subscriber; the returned future gates the publisher's PUBACK. */
  @FunctionalInterface
  public interface InternalSubscriber {
    CompletableFuture<Void> onPublish(String topic, byte[] payload);
  }

  private final String host;
  private final int requestedPort;
  private final EventLoopGroup boss = new NioEventLoopGroup(1);
  private final EventLoopGroup workers = new NioEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()));
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final List<Map.Entry<String, InternalSubscriber>> internal = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> shareCursor = new ConcurrentHashMap<>();
  private Channel server;

  public EmbeddedBroker(String host, int port) {
    this.host = host;
    this.requestedPort = port;
  }

  /**
   * Binds the port.
   *
   * @throws IllegalStateException naming the port when it is taken
   */
  public void start() {
    ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            // PUBACKs leave after the database commit, from the writer thread; one flush (syscall)
            // for a burst of them instead of one each.
            ch.pipeline().addLast("flush", new io.netty.handler.flush.FlushConsolidationHandler(256, true));
            ch.pipeline().addLast("idle", new IdleStateHandler(90, 0, 0, TimeUnit.SECONDS));
            ch.pipeline().addLast("decoder", new MqttDecoder(MAX_MESSAGE_BYTES));
            ch.pipeline().addLast("encoder", MqttEncoder.INSTANCE);
            ch.pipeline().addLast("session", new Session());
          }
        });
    try {
      server = b.bind(new InetSocketAddress(host, requestedPort)).sync().channel();
    } catch (Exception e) {
      close();
      throw new IllegalStateException("embedded MQTT broker cannot listen on " + host + ":" + requestedPort + " (" + e.getMessage()
          + "); is another broker running there? Set mqtt.port, or mqtt.url to use that broker");
    }
    LOG.info("embedded MQTT broker listening on {}:{}", host, port());
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Attaches an in-process subscriber (the coordinator). */
  public void subscribeInternal(String filter, InternalSubscriber subscriber) {
    internal.add(Map.entry(filter, subscriber));
  }

  /** Publishes to connected clients whose subscriptions match, at QoS min(qos, granted). */
  public void publish(String topic, byte[] payload, int qos) {
    Map<String, List<Session>> shared = new java.util.HashMap<>();
    for (Session s : sessions.values()) {
      for (Map.Entry<String, Integer> sub : s.subscriptions.entrySet()) {
        String f = sub.getKey();
        if (f.startsWith("$share/")) {
          int slash = f.indexOf('/', 7);
          if (slash > 0 && TopicFilter.matches(f.substring(slash + 1), topic)) {
            shared.computeIfAbsent(f, k -> new ArrayList<>()).add(s);
          }
        } else if (TopicFilter.matches(f, topic)) {
          s.send(topic, payload, Math.min(qos, sub.getValue()));
          break; // one copy per client
        }
      }
    }
    shared.forEach((group, members) -> {
      int i = Math.floorMod(shareCursor.computeIfAbsent(group, g -> new AtomicInteger()).getAndIncrement(), members.size());
      members.get(i).send(topic, payload, Math.min(qos, members.get(i).subscriptions.get(group)));
    });
  }

  /** Connected clients. */
  public int clientCount() {
    return sessions.size();
  }

  @Override
  public void close() {
    if (server != null) {
      server.close().awaitUninterruptibly(2_000);
    }
    sessions.values().forEach(s -> s.channel.close());
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3_000);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3_000);
  }

  /** One client connection. */
  private final class Session extends SimpleChannelInboundHandler<MqttMessage> {
    final Map<String, Integer> subscriptions = new ConcurrentHashMap<>();
    final AtomicInteger nextPacketId = new AtomicInteger();
    Channel channel;
    String clientId;
    int version;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      channel = ctx.channel();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, MqttMessage msg) {
      if (msg.decoderResult().isFailure()) {
        LOG.debug("malformed MQTT packet from {}: {}", ctx.channel().remoteAddress(), msg.decoderResult().cause().toString());
        ctx.close();
        return;
      }
      MqttMessageType type = msg.fixedHeader().messageType();
      if (clientId == null && type != MqttMessageType.CONNECT) {
        ctx.close(); // the first packet must be CONNECT
        return;
      }
      switch (type) {
        case CONNECT -> connect(ctx, (MqttConnectMessage) msg);
        case PUBLISH -> publish(ctx, (MqttPublishMessage) msg);
        case SUBSCRIBE -> subscribe(ctx, (MqttSubscribeMessage) msg);
        case UNSUBSCRIBE -> unsubscribe(ctx, (MqttUnsubscribeMessage) msg);
        case PINGREQ -> ctx.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGRESP, false, MqttQoS.AT_MOST_ONCE, false, 0)));
        case DISCONNECT -> ctx.close();
        case PUBACK -> { } // our QoS 1 deliveries are fire-and-forget; devices resend what they miss
        default -> ctx.close(); // QoS 2 and AUTH are not supported
      }
    }

    private void connect(ChannelHandlerContext ctx, MqttConnectMessage m) {
      if (clientId != null) {
        ctx.close(); // a second CONNECT is a protocol violation
        return;
      }
      version = m.variableHeader().version();
      String id = m.payload().clientIdentifier();
      clientId = id == null || id.isEmpty() ? "auto-" + UUID.randomUUID() : id;
      int keepAlive = m.variableHeader().keepAliveTimeSeconds();
      ctx.pipeline().replace("idle", "idle", new IdleStateHandler(keepAlive == 0 ? 0 : keepAlive * 3 / 2, 0, 0, TimeUnit.SECONDS));
      Session previous = sessions.put(clientId, this);
      if (previous != null && previous != this) {
        previous.channel.close(); // client take-over
      }
      MqttConnAckMessage ack;
      if (version >= 5) {
        MqttProperties p = new MqttProperties();
        p.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM.value(), RECEIVE_MAXIMUM));
        p.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.MAXIMUM_QOS.value(), 1));
        p.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.RETAIN_AVAILABLE.value(), 0));
        p.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.SHARED_SUBSCRIPTION_AVAILABLE.value(), 1));
        if (id == null || id.isEmpty()) {
          p.add(new MqttProperties.StringProperty(MqttProperties.MqttPropertyType.ASSIGNED_CLIENT_IDENTIFIER.value(), clientId));
        }
        ack = MqttMessageBuilders.connAck().returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(false).properties(p).build();
      } else {
        ack = MqttMessageBuilders.connAck().returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(false).build();
      }
      ctx.writeAndFlush(ack);
    }

    private void publish(ChannelHandlerContext ctx, MqttPublishMessage m) {
      String topic = m.variableHeader().topicName();
      int qos = m.fixedHeader().qosLevel().value();
      int packetId = m.variableHeader().packetId();
      byte[] payload = ByteBufUtil.getBytes(m.payload());
      if (qos > 1 || topic.contains("+") || topic.contains("#")) {
        ctx.close();
        return;
      }
      List<CompletableFuture<Void>> gates = new ArrayList<>();
      for (Map.Entry<String, InternalSubscriber> e : internal) {
        if (TopicFilter.matches(e.getKey(), topic)) {
          gates.add(e.getValue().onPublish(topic, payload));
        }
      }
      EmbeddedBroker.this.publish(topic, payload, qos);
      if (qos == 0) {
        return;
      }
      CompletableFuture.allOf(gates.toArray(new CompletableFuture<?>[0])).whenComplete((ok, err) -> {
        if (err == null) {
          ctx.writeAndFlush(MqttMessageBuilders.pubAck().packetId(packetId).reasonCode((byte) 0).build());
        } else if (version >= 5) {
          ctx.writeAndFlush(MqttMessageBuilders.pubAck().packetId(packetId).reasonCode((byte) 0x80).build());
        } else {
          ctx.close();
        }
      });
    }

    private void subscribe(ChannelHandlerContext ctx, MqttSubscribeMessage m) {
      MqttMessageBuilders.SubAckBuilder ack = MqttMessageBuilders.subAck().packetId(m.variableHeader().messageId());
      for (MqttTopicSubscription s : m.payload().topicSubscriptions()) {
        String filter = s.topicName();
        String plain = filter.startsWith("$share/") && filter.indexOf('/', 7) > 0 ? filter.substring(filter.indexOf('/', 7) + 1) : filter;
        if (!TopicFilter.valid(plain)) {
          ack.addGrantedQos(MqttQoS.FAILURE);
          continue;
        }
        int granted = Math.min(1, s.qualityOfService().value());
        subscriptions.put(filter, granted);
        ack.addGrantedQos(MqttQoS.valueOf(granted));
      }
      ctx.writeAndFlush(ack.build());
    }

    private void unsubscribe(ChannelHandlerContext ctx, MqttUnsubscribeMessage m) {
      m.payload().topics().forEach(subscriptions::remove);
      MqttMessageBuilders.UnsubAckBuilder ack = MqttMessageBuilders.unsubAck().packetId(m.variableHeader().messageId());
      if (version >= 5) {
        m.payload().topics().forEach(t -> ack.addReasonCode((short) 0));
      }
      ctx.writeAndFlush(ack.build());
    }

    void send(String topic, byte[] payload, int qos) {
      if (channel == null || !channel.isActive()) {
        return;
      }
      int id = qos == 0 ? 0 : nextPacketId.updateAndGet(i -> i >= 65_535 ? 1 : i + 1);
      channel.writeAndFlush(MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.valueOf(qos)).retained(false)
          .messageId(id).payload(Unpooled.wrappedBuffer(payload)).build());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) {
        ctx.close(); // keep-alive expired
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (clientId != null) {
        sessions.remove(clientId, this);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("MQTT connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }
}
