/**
 * Signature schemes on Bouncy Castle's lightweight API. Internal: not part of the public API, may
 * change at any time.
 */
package dev.popw.internal.crypto;
