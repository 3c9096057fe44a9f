/**
 * The coordinator: ingest over MQTT and CoAP, verification, storage, batching and settlement.
 *
 * <p>Not built yet; this module exists so that the layout and the build are in place.
 */
package dev.popw.coordinator;
