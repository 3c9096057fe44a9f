/**
 * The device agent daemon: sources, outbox, transport.
 *
 * <p>Not built yet; this module exists so that the layout and the build are in place.
 */
package dev.popw.agent;
