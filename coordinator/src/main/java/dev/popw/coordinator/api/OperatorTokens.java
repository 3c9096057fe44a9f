package dev.popw.coordinator.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The tokens that authorize operator actions on the HTTP API ({@code Authorization: Bearer
 * <token>}). Only their SHA-256 digests are kept, and {@link #match} compares a presented token
 * with every one of them in constant time. A token is never logged or printed: {@link #toString}
 * and the {@linkplain #match source} name only where a token came from (a file's line, or the
 * environment variable). Immutable and thread-safe.
 */
public final class OperatorTokens {
  /** The environment variable that may hold one operator token. */
  public static final String ENVIRONMENT = "POPW_OPERATOR_TOKEN";
  /** Shorter tokens are refused: {@code openssl rand -hex 32} makes a good one. */
  public static final int MIN_LENGTH = 16;

  private static final OperatorTokens NONE = new OperatorTokens(List.of(), List.of());

  private final List<byte[]> digests;
  private final List<String> sources;

  private OperatorTokens(List<byte[]> digests, List<String> sources) {
    this.digests = digests;
    this.sources = sources;
  }

  /** No token: operator actions are refused with 401. */
  public static OperatorTokens none() {
    return NONE;
  }

  /**
   * One token, named by {@code source} in logs (never the token itself).
   *
   * @throws IllegalArgumentException when the token is shorter than {@link #MIN_LENGTH} or holds whitespace
   */
  public static OperatorTokens of(String source, String token) {
    check(token, source);
    return new OperatorTokens(List.of(sha256(token)), List.of(source));
  }

  /**
   * The tokens of a file (one per line; blank lines and lines starting with {@code #} are skipped)
   * and of the environment variable {@link #ENVIRONMENT}.
   *
   * @param file the token file, or null
   * @param environmentToken the variable's value, or null when it is not set
   * @throws IllegalArgumentException naming the file and line (never the token) of a bad token, or
   *     an unreadable or empty file
   */
  public static OperatorTokens load(Path file, String environmentToken) {
    List<byte[]> digests = new ArrayList<>();
    List<String> sources = new ArrayList<>();
    if (file != null) {
      List<String> lines;
      try {
        lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read api.operator_token_file " + file + ": " + e.getMessage());
      }
      for (int i = 0; i < lines.size(); i++) {
        String t = lines.get(i).strip();
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        String source = file.getFileName() + " line " + (i + 1);
        check(t, "the operator token on " + source);
        digests.add(sha256(t));
        sources.add(source);
      }
      if (digests.isEmpty()) {
        throw new IllegalArgumentException("api.operator_token_file " + file + " holds no token");
      }
    }
    if (environmentToken != null && !environmentToken.isBlank()) {
      check(environmentToken.strip(), ENVIRONMENT);
      digests.add(sha256(environmentToken.strip()));
      sources.add(ENVIRONMENT);
    }
    return digests.isEmpty() ? NONE : new OperatorTokens(List.copyOf(digests), List.copyOf(sources));
  }

  private static void check(String token, String where) {
    if (token.length() < MIN_LENGTH) {
      throw new IllegalArgumentException(where + " is shorter than " + MIN_LENGTH + " characters (make one with: openssl rand -hex 32)");
    }
    if (token.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
      throw new IllegalArgumentException(where + " holds whitespace or control characters");
    }
  }

  public boolean isEmpty() {
    return digests.isEmpty();
  }

  public int size() {
    return digests.size();
  }

  /**
   * Where the presented token came from, when it is one of these. Every stored digest is compared
   * (no early exit), each comparison in constant time, so the answer's timing tells nothing about
   * which token nearly matched.
   */
  public Optional<String> match(String presented) {
    if (presented == null || digests.isEmpty()) {
      return Optional.empty();
    }
    byte[] d = sha256(presented);
    int found = -1;
    for (int i = 0; i < digests.size(); i++) {
      if (MessageDigest.isEqual(d, digests.get(i)) & found < 0) {
        found = i;
      }
    }
    return found < 0 ? Optional.empty() : Optional.of(sources.get(found));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The number of tokens and where they come from; never a token. */
  @Override
  public String toString() {
    return "OperatorTokens" + sources;
  }
}
