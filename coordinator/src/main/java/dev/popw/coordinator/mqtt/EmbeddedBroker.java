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
import java.util.Set;
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
  /** Topics every authenticated device may subscribe to: what the coordinator tells all devices. */
  public static final String NETWORK_PREFIX = "popw/v1/network/";
  private static final String DEVICES_PREFIX = dev.popw.transport.mqtt.Topics.PREFIX + "/";

  /** An in-process subscriber; the returned future gates the publisher's PUBACK. */
  @FunctionalInterface
  public interface InternalSubscriber {
    CompletableFuture<Void> onPublish(String topic, byte[] payload);
  }

  private final String host;
  private final int requestedPort;
  private final BrokerSettings limits;
  private final BrokerAuthenticator authenticator;
  private final Map<java.net.InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger subscriptionCount = new AtomicInteger();
  private final java.util.concurrent.atomic.LongAdder accepted = new java.util.concurrent.atomic.LongAdder();
  private final Map<Refusal, java.util.concurrent.atomic.LongAdder> refusals = new java.util.EnumMap<>(Refusal.class);
  private final Map<Refusal, Long> lastLogged = new ConcurrentHashMap<>();
  private final EventLoopGroup boss = new NioEventLoopGroup(1);
  private final EventLoopGroup workers = new NioEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()));
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  /** Plain topic filter -> the sessions subscribed to it. Changed only with compute (atomic per topic). */
  private final Map<String, Set<Session>> exact = new ConcurrentHashMap<>();
  /** Sessions holding at least one wildcard or shared filter. */
  private final Map<Session, Boolean> patternHolders = new ConcurrentHashMap<>();
  private final List<Map.Entry<String, InternalSubscriber>> internal = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> shareCursor = new ConcurrentHashMap<>();
  private Channel server;

  /**
   * A broker with these limits. {@code authenticator} decides who each CONNECT is; with {@code
   * null}, only {@link BrokerSettings#allowAnonymous} brokers accept clients (everyone a superuser).
   */
  public EmbeddedBroker(String host, int port, BrokerSettings limits, BrokerAuthenticator authenticator) {
    this.host = host;
    this.requestedPort = port;
    this.limits = limits;
    this.authenticator = authenticator;
    if (authenticator == null && !limits.allowAnonymous()) {
      throw new IllegalArgumentException("a broker without an authenticator must allow anonymous clients");
    }
    for (Refusal r : Refusal.values()) {
      refusals.put(r, new java.util.concurrent.atomic.LongAdder());
    }
  }

  /**
   * Binds the port.
   *
   * @throws IllegalStateException naming the port when it is taken
   */
  public void start() {
    ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
        .childOption(io.netty.channel.ChannelOption.WRITE_BUFFER_WATER_MARK,
            new io.netty.channel.WriteBufferWaterMark(limits.maxBufferedBytesPerClient() / 2, limits.maxBufferedBytesPerClient()))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            // PUBACKs leave after the database commit, from the writer thread; one flush (syscall)
            // for a burst of them instead of one each.
            ch.pipeline().addLast("flush", new io.netty.handler.flush.FlushConsolidationHandler(256, true));
            // until CONNECT arrives: a connection that says nothing is closed after 10 s
            ch.pipeline().addLast("idle", new IdleStateHandler(10, 0, 0, TimeUnit.SECONDS));
            ch.pipeline().addLast("decoder", new MqttDecoder(limits.maxPacketBytes()));
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

  /**
   * Publishes to connected clients whose subscriptions match, at QoS min(qos, granted), one copy per
   * client (and one per shared group). Plain topic filters, the only kind a device may hold, are
   * found in {@link #exact} with one lookup; only clients holding a wildcard or shared filter (the
   * coordinator, operators' superuser clients) are walked. So routing costs the same with ten
   * devices connected or a hundred thousand (issue 18).
   */
  public void publish(String topic, byte[] payload, int qos) {
    Set<Session> direct = exact.get(topic);
    if (direct != null) {
      for (Session s : direct) {
        Integer granted = s.subscriptions.get(topic);
        if (granted != null) {
          s.send(topic, payload, Math.min(qos, granted));
        }
      }
    }
    if (patternHolders.isEmpty()) {
      return;
    }
    Map<String, List<Session>> shared = null;
    for (Session s : patternHolders.keySet()) {
      boolean copied = direct != null && direct.contains(s) && s.subscriptions.containsKey(topic);
      for (Map.Entry<String, Integer> sub : s.subscriptions.entrySet()) {
        String f = sub.getKey();
        if (f.startsWith("$share/")) {
          int slash = f.indexOf('/', 7);
          if (slash > 0 && TopicFilter.matches(f.substring(slash + 1), topic)) {
            shared = shared == null ? new java.util.HashMap<>() : shared;
            shared.computeIfAbsent(f, k -> new ArrayList<>()).add(s);
          }
        } else if (!copied && TopicFilter.hasWildcard(f) && TopicFilter.matches(f, topic)) {
          s.send(topic, payload, Math.min(qos, sub.getValue()));
          copied = true; // one copy per client
        }
      }
    }
    if (shared != null) {
      shared.forEach((group, members) -> {
        int i = Math.floorMod(shareCursor.computeIfAbsent(group, g -> new AtomicInteger()).getAndIncrement(), members.size());
        members.get(i).send(topic, payload, Math.min(qos, members.get(i).subscriptions.get(group)));
      });
    }
  }

  /** A filter routed through {@link #exact}: no wildcard, not shared. */
  private static boolean plain(String filter) {
    return !filter.startsWith("$share/") && !TopicFilter.hasWildcard(filter);
  }

  /** Closes the connection of this device, if it has one (the device was deactivated). */
  public void disconnect(String deviceId) {
    for (Session s : sessions.values()) {
      if (s.principal != null && deviceId.equals(s.principal.deviceId())) {
        s.channel.close();
      }
    }
  }

  /** Connected clients. */
  public int clientCount() {
    return sessions.size();
  }

  /** Open TCP connections (including those that have not sent CONNECT yet). */
  public int connectionCount() {
    return connections.get();
  }

  /** CONNECTs accepted since the start. */
  public long acceptedConnections() {
    return accepted.sum();
  }

  /** Topic filters held by all clients. */
  public int subscriptionCount() {
    return subscriptionCount.get();
  }

  /** Bytes written by the broker and not yet taken by the clients' sockets. */
  public long bufferedBytes() {
    long sum = 0;
    for (Session s : sessions.values()) {
      io.netty.channel.ChannelOutboundBuffer b = s.channel == null ? null : s.channel.unsafe().outboundBuffer();
      sum += b == null ? 0 : b.totalPendingWriteBytes();
    }
    return sum;
  }

  /** Refusals so far, by reason. */
  public long refusals(Refusal reason) {
    return refusals.get(reason).sum();
  }

  /** Counts a refusal and logs it, at most once a minute per reason. */
  private void refuse(Refusal reason, Channel ch, String client, String detail) {
    refusals.get(reason).increment();
    long now = System.nanoTime();
    Long last = lastLogged.get(reason);
    if (last == null || now - last > 60_000_000_000L) {
      lastLogged.put(reason, now);
      LOG.info("MQTT {} from {}{}: {} (further {} refusals within a minute are counted, not logged)", reason,
          ch == null ? "?" : ch.remoteAddress(), client == null ? "" : " client " + quoted(client), printable(detail), reason);
    }
  }

  /**
   * Text from a client (client ids, topics: unauthenticated) for one log line: control, line
   * separator and format characters escaped, at most 64 characters, so it cannot split the line or
   * forge another.
   */
  static String quoted(String s) {
    return "\"" + printable(s.length() > 64 ? s.substring(0, 64) + "…" : s) + "\"";
  }

  private static String printable(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(Math.min(s.length(), 512));
    for (int i = 0; i < s.length() && b.length() < 512; i++) {
      char c = s.charAt(i);
      int type = Character.getType(c);
      if (Character.isISOControl(c) || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
          || type == Character.FORMAT) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
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
    final AtomicInteger inflight = new AtomicInteger();
    Channel channel;
    String clientId;
    BrokerAuthenticator.Principal principal;
    /** A device's own topics ({@code <prefix>/<id>/}, its telemetry topic), fixed at CONNECT: checked on every PUBLISH. */
    String ownPrefix;
    String ownTelemetry;
    java.net.InetAddress address;
    int version;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      channel = ctx.channel();
      address = ((InetSocketAddress) channel.remoteAddress()).getAddress();
      int total = connections.incrementAndGet();
      int fromHere = perAddress.merge(address, 1, Integer::sum);
      if (total > limits.maxConnections() || fromHere > limits.maxConnectionsPerAddress()) {
        refuse(Refusal.TOO_MANY_CONNECTIONS, channel, null, total > limits.maxConnections()
            ? total + " connections (mqtt.max_connections " + limits.maxConnections() + ")"
            : fromHere + " connections from this address (mqtt.max_connections_per_address " + limits.maxConnectionsPerAddress() + ")");
        ctx.close();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (!ctx.channel().isWritable()) {
        refuse(Refusal.SLOW_CONSUMER, ctx.channel(), clientId, "more than " + limits.maxBufferedBytesPerClient()
            + " bytes queued towards a client that does not read (mqtt.max_buffered_bytes_per_client)");
        ctx.close();
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, MqttMessage msg) {
      if (msg.decoderResult().isFailure()) {
        refuse(Refusal.MALFORMED_PACKET, ctx.channel(), clientId, msg.decoderResult().cause().getMessage());
        ctx.close();
        return;
      }
      MqttMessageType type = msg.fixedHeader().messageType();
      if (clientId == null && type != MqttMessageType.CONNECT) {
        refuse(Refusal.PROTOCOL, ctx.channel(), null, "the first packet must be CONNECT, got " + type);
        ctx.close();
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
        default -> { // QoS 2 and AUTH are not supported
          refuse(Refusal.PROTOCOL, ctx.channel(), clientId, type + " is not supported");
          ctx.close();
        }
      }
    }

    private void connect(ChannelHandlerContext ctx, MqttConnectMessage m) {
      if (clientId != null) {
        refuse(Refusal.PROTOCOL, ctx.channel(), clientId, "a second CONNECT");
        ctx.close();
        return;
      }
      version = m.variableHeader().version();
      String id = m.payload().clientIdentifier();
      String assigned = id == null || id.isEmpty() ? "auto-" + UUID.randomUUID() : id;
      BrokerAuthenticator.Decision decision = authenticator == null
          ? BrokerAuthenticator.Decision.accept(BrokerAuthenticator.Principal.superuser("anonymous"))
          : limits.allowAnonymous() && !m.variableHeader().hasUserName()
              ? BrokerAuthenticator.Decision.accept(BrokerAuthenticator.Principal.superuser("anonymous"))
              : authenticator.authenticate(assigned, m.payload().userName(), m.payload().passwordInBytes());
      if (decision.principal() == null) {
        refuse(decision.refusal(), ctx.channel(), assigned, decision.detail());
        MqttConnectReturnCode code = version >= 5
            ? decision.refusal() == Refusal.NOT_REGISTERED || decision.refusal() == Refusal.CLIENT_ID_MISMATCH
                ? MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5 : MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USERNAME_OR_PASSWORD
            : decision.refusal() == Refusal.NOT_REGISTERED || decision.refusal() == Refusal.CLIENT_ID_MISMATCH
                ? MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED : MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
        refuseConnect(ctx, code, decision.detail());
        return;
      }
      int keepAlive = m.variableHeader().keepAliveTimeSeconds();
      boolean tooLong = keepAlive == 0 || keepAlive > limits.maxKeepAliveSeconds();
      if (tooLong && version < 5) {
        refuse(Refusal.KEEP_ALIVE, ctx.channel(), assigned, "keep-alive " + keepAlive + " s (0 or above mqtt.max_keep_alive_seconds "
            + limits.maxKeepAliveSeconds() + ")");
        refuseConnect(ctx, MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED, null);
        return;
      }
      int effectiveKeepAlive = tooLong ? limits.maxKeepAliveSeconds() : keepAlive;
      principal = decision.principal();
      if (!principal.superuser()) {
        ownPrefix = DEVICES_PREFIX + principal.deviceId() + "/";
        ownTelemetry = ownPrefix + "telemetry";
      }
      clientId = assigned;
      accepted.increment();
      ctx.pipeline().replace("idle", "idle", new IdleStateHandler(effectiveKeepAlive * 3 / 2, 0, 0, TimeUnit.SECONDS));
      Session previous = sessions.put(clientId, this);
      if (previous != null && previous != this) {
        previous.channel.close(); // client take-over: only by the same authenticated device (client id = device id)
      }
      MqttConnAckMessage ack;
      if (version >= 5) {
        MqttProperties p = new MqttProperties();
        p.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM.value(), limits.maxInflightPerClient()));
        p.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE.value(), limits.maxPacketBytes()));
        if (tooLong) {
          p.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.SERVER_KEEP_ALIVE.value(), effectiveKeepAlive));
        }
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

    /** A CONNACK with a refusal (and, in MQTT 5, the reason string), then the connection closes. */
    private void refuseConnect(ChannelHandlerContext ctx, MqttConnectReturnCode code, String reason) {
      MqttMessageBuilders.ConnAckBuilder b = MqttMessageBuilders.connAck().returnCode(code).sessionPresent(false);
      if (version >= 5 && reason != null) {
        MqttProperties p = new MqttProperties();
        p.add(new MqttProperties.StringProperty(MqttProperties.MqttPropertyType.REASON_STRING.value(), reason));
        b.properties(p);
      }
      ctx.writeAndFlush(b.build()).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    }

    /** Whether this client may publish to {@code topic}: a device only to its own telemetry topic. */
    private boolean mayPublish(String topic) {
      return principal.superuser() || topic.equals(ownTelemetry);
    }

    /** Whether this client may subscribe to {@code filter}: a device only to its own receipts and challenges, and the network's topics. */
    private boolean maySubscribe(String filter) {
      if (principal.superuser()) {
        return true;
      }
      return filter.equals(ownPrefix + "receipts") || filter.equals(ownPrefix + "challenges")
          || (filter.startsWith(NETWORK_PREFIX) && filter.indexOf('+') < 0 && filter.indexOf('#') < 0);
    }

    private void publish(ChannelHandlerContext ctx, MqttPublishMessage m) {
      String topic = m.variableHeader().topicName();
      int qos = m.fixedHeader().qosLevel().value();
      int packetId = m.variableHeader().packetId();
      byte[] payload = ByteBufUtil.getBytes(m.payload());
      if (qos > 1 || topic.contains("+") || topic.contains("#")) {
        refuse(Refusal.PROTOCOL, ctx.channel(), clientId, qos > 1 ? "QoS 2 is not supported" : "wildcard in a topic name");
        ctx.close();
        return;
      }
      if (!mayPublish(topic)) {
        refuse(Refusal.PUBLISH_DENIED, ctx.channel(), clientId, "may not publish to " + topic);
        if (qos == 1 && version >= 5) {
          ctx.writeAndFlush(MqttMessageBuilders.pubAck().packetId(packetId).reasonCode((byte) 0x87).build()); // not authorized
        } else if (qos == 1) {
          ctx.close(); // MQTT 3.1.1 has no way to say no
        }
        return;
      }
      if (qos == 1 && inflight.incrementAndGet() > limits.maxInflightPerClient()) {
        refuse(Refusal.TOO_MANY_INFLIGHT, ctx.channel(), clientId, "more than " + limits.maxInflightPerClient()
            + " QoS 1 publishes awaiting PUBACK (mqtt.max_inflight_per_client)");
        disconnect(ctx, (byte) 0x93); // receive maximum exceeded
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
        inflight.decrementAndGet();
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
          refuse(Refusal.PROTOCOL, ctx.channel(), clientId, "invalid topic filter");
          ack.addGrantedQos(MqttQoS.FAILURE);
          continue;
        }
        if (!maySubscribe(filter)) {
          refuse(Refusal.SUBSCRIBE_DENIED, ctx.channel(), clientId, "may not subscribe to " + filter);
          ack.addGrantedQos(MqttQoS.FAILURE);
          continue;
        }
        if (!subscriptions.containsKey(filter) && !principal.superuser() && subscriptions.size() >= limits.maxSubscriptionsPerClient()) {
          refuse(Refusal.TOO_MANY_SUBSCRIPTIONS, ctx.channel(), clientId, "more than " + limits.maxSubscriptionsPerClient()
              + " subscriptions (mqtt.max_subscriptions_per_client)");
          ack.addGrantedQos(MqttQoS.FAILURE);
          continue;
        }
        int granted = Math.min(1, s.qualityOfService().value());
        if (subscriptions.put(filter, granted) == null) {
          subscriptionCount.incrementAndGet();
          index(filter);
        }
        ack.addGrantedQos(MqttQoS.valueOf(granted));
      }
      ctx.writeAndFlush(ack.build());
    }

    /** An MQTT 5 DISCONNECT with a reason code, then close; MQTT 3.1.1 clients are just closed. */
    private void disconnect(ChannelHandlerContext ctx, byte reason) {
      if (version >= 5) {
        ctx.writeAndFlush(MqttMessageBuilders.disconnect().reasonCode(reason).build()).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
      } else {
        ctx.close();
      }
    }

    private void unsubscribe(ChannelHandlerContext ctx, MqttUnsubscribeMessage m) {
      m.payload().topics().forEach(t -> {
        if (subscriptions.remove(t) != null) {
          subscriptionCount.decrementAndGet();
          unindex(t);
        }
      });
      MqttMessageBuilders.UnsubAckBuilder ack = MqttMessageBuilders.unsubAck().packetId(m.variableHeader().messageId());
      if (version >= 5) {
        m.payload().topics().forEach(t -> ack.addReasonCode((short) 0));
      }
      ctx.writeAndFlush(ack.build());
    }

    /** Adds a new subscription of this session to the broker's routing index. */
    private void index(String filter) {
      if (plain(filter)) {
        exact.compute(filter, (k, set) -> {
          Set<Session> v = set == null ? ConcurrentHashMap.newKeySet() : set;
          v.add(this);
          return v;
        });
      } else {
        patternHolders.put(this, Boolean.TRUE);
      }
    }

    /** Takes a removed subscription out of the routing index. */
    private void unindex(String filter) {
      if (plain(filter)) {
        exact.computeIfPresent(filter, (k, set) -> {
          set.remove(this);
          return set.isEmpty() ? null : set;
        });
      } else if (subscriptions.keySet().stream().noneMatch(f -> !plain(f))) {
        patternHolders.remove(this);
      }
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
      subscriptionCount.addAndGet(-subscriptions.size());
      for (String f : subscriptions.keySet()) {
        unindex(f);
      }
      subscriptions.clear();
      patternHolders.remove(this);
      connections.decrementAndGet();
      if (address != null) {
        perAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("MQTT connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }
}
