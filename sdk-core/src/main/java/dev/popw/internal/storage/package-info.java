/** Durable-file helpers. Internal: not part of the public API, may change at any time. */
package dev.popw.internal.storage;
