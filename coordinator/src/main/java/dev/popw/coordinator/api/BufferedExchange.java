package dev.popw.coordinator.api;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/**
 * An exchange whose request body was already read and whose response is kept in memory: the
 * routes run on it without touching the network, so that no read or write of a slow client can
 * block them, and the response is written afterwards under the write deadline ({@link #sendTo}).
 */
final class BufferedExchange extends HttpExchange {
  private final HttpExchange real;
  private final InputStream body;
  private final Headers responseHeaders = new Headers();
  private final ByteArrayOutputStream response = new ByteArrayOutputStream();
  private final Map<String, Object> attributes = new HashMap<>();
  private int status = -1;

  BufferedExchange(HttpExchange real, byte[] requestBody) {
    this.real = real;
    this.body = new ByteArrayInputStream(requestBody);
  }

  /** Writes the response held here to the real exchange. */
  void sendTo(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().putAll(responseHeaders);
    byte[] bytes = response.toByteArray();
    ex.sendResponseHeaders(status < 0 ? 500 : status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  @Override
  public Headers getRequestHeaders() {
    return real.getRequestHeaders();
  }

  @Override
  public Headers getResponseHeaders() {
    return responseHeaders;
  }

  @Override
  public URI getRequestURI() {
    return real.getRequestURI();
  }

  @Override
  public String getRequestMethod() {
    return real.getRequestMethod();
  }

  @Override
  public HttpContext getHttpContext() {
    return real.getHttpContext();
  }

  @Override
  public void close() {
    // the real exchange is closed by RequestGuard once the response is written
  }

  @Override
  public InputStream getRequestBody() {
    return body;
  }

  @Override
  public OutputStream getResponseBody() {
    return response;
  }

  @Override
  public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
    if (status >= 0) {
      throw new IOException("headers already sent");
    }
    status = rCode;
  }

  @Override
  public InetSocketAddress getRemoteAddress() {
    return real.getRemoteAddress();
  }

  @Override
  public int getResponseCode() {
    return status;
  }

  @Override
  public InetSocketAddress getLocalAddress() {
    return real.getLocalAddress();
  }

  @Override
  public String getProtocol() {
    return real.getProtocol();
  }

  @Override
  public Object getAttribute(String name) {
    return attributes.get(name);
  }

  @Override
  public void setAttribute(String name, Object value) {
    attributes.put(name, value);
  }

  @Override
  public void setStreams(InputStream i, OutputStream o) {
    throw new UnsupportedOperationException("a buffered exchange has fixed streams");
  }

  @Override
  public HttpPrincipal getPrincipal() {
    return real.getPrincipal();
  }
}
