/**
 * Beacon entropy: the coordinator signs fresh random {@code Entropy} every interval
 * ({@link dev.popw.entropy.Entropies#sign}); a coverage device checks it against the coordinator
 * key it pinned and its age ({@link dev.popw.entropy.EntropyTrust}) and derives its beacon id from
 * it ({@link dev.popw.entropy.Entropies#beaconId}). See docs/coverage.md.
 */
package dev.popw.entropy;
