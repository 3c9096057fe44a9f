/** Logging helpers for sdk-core itself; not public API. */
package dev.popw.internal.logging;
