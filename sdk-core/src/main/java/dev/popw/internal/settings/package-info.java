/**
 * Checks shared by the agent's and the coordinator's settings loaders. Internal: not part of the
 * public API, may change at any time.
 */
package dev.popw.internal.settings;
