package dev.popw.envelope;

import dev.popw.identity.KeyType;

/**
 * A faster implementation of the plain signature equations, plugged into an {@link
 * EnvelopeVerifier} ({@link EnvelopeVerifier.Builder#signatureEngine}); the coordinator plugs a
 * native one (AWS-LC). Devices need none: without an engine, Bouncy Castle verifies.
 *
 * <p>The engine decides only where it cannot differ from Bouncy Castle. sdk-core keeps every rule
 * of the envelope format and applies it <em>before</em> calling the engine: the public key is
 * decoded and validated by Bouncy Castle (canonical, on the curve, not of small order, compressed
 * for ECDSA); an Ed25519 R must be a canonical point encoding and S is checked against L (S &gt;= L
 * is reduced first, to tell a malleated signature, {@code NON_CANONICAL}, from a bad one); ECDSA r
 * and s must lie in [1, n-1], and high S is told apart after the equation. Then:
 *
 * <ul>
 *   <li>{@code true} from the engine is final: the signature verifies;
 *   <li>{@code false}, or an exception, is handed to Bouncy Castle, whose answer is final. Bouncy
 *       Castle checks Ed25519 with the cofactored equation (as RFC 8032 5.1.7 states it); AWS-LC
 *       compares R bytewise (cofactorless), which refuses some signatures that only their key's
 *       holder can make (R with a small-order component). Confirming refusals keeps one rule on
 *       every path; it costs a second verification on bad signatures only.
 * </ul>
 *
 * <p>Implementations must be thread-safe.
 */
public interface SignatureEngine {
  /** A short name for logs and metrics, for example {@code "aws-lc (ACCP 2.5.0)"}. */
  String name();

  /**
   * Prepares a public key that sdk-core has decoded and validated.
   *
   * @param encoded Ed25519: the 32-byte key; ECDSA: the 65-byte uncompressed SEC1 point
   * @return the engine's key object, or {@code null} when it does not take this key type (Bouncy
   *     Castle then verifies every signature of the key)
   * @throws Exception when it cannot; treated as {@code null}
   */
  Object prepare(KeyType type, byte[] encoded) throws Exception;

  /**
   * Plain verification. Ed25519: RFC 8032, pure, over {@code message[off, off+len)}. ECDSA: over
   * SHA-256 of the message, {@code signature} the 64 bytes r || s; high S verifies here.
   *
   * @param key what {@link #prepare} returned for this key
   * @return whether the signature verifies; {@code false} is checked again by Bouncy Castle
   * @throws Exception on any failure; Bouncy Castle then decides
   */
  boolean verify(KeyType type, Object key, byte[] message, int off, int len, byte[] signature) throws Exception;
}
