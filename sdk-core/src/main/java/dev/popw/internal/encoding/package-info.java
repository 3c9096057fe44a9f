/** Byte encodings used by the SDK. Internal: not part of the public API, may change at any time. */
package dev.popw.internal.encoding;
