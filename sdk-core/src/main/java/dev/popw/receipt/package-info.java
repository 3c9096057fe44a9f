/**
 * Signed coordinator receipts: the coordinator signs each {@code Receipt} with its Ed25519 key
 * ({@link dev.popw.receipt.Receipts#sign}); a device accepts only receipts that verify under the
 * coordinator key it pinned ({@link dev.popw.receipt.ReceiptTrust}). See docs/wire-format.md.
 */
package dev.popw.receipt;
