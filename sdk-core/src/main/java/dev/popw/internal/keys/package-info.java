/**
 * The public key types ({@link dev.popw.identity.KeyType}) mapped onto the schemes of {@link
 * dev.popw.internal.crypto}, which know curves and not key types. Internal: not part of the public
 * API, may change at any time.
 */
package dev.popw.internal.keys;
