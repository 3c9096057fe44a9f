/**
 * The transport seam: {@link dev.popw.transport.Transport} and its values. Implementations: {@code
 * dev.popw.transport.mqtt} (Eclipse Paho, needs {@code org.eclipse.paho.mqttv5.client}) and {@code
 * dev.popw.transport.coap} (Eclipse Californium, needs {@code californium-core} and {@code scandium}).
 * Both libraries are optional dependencies of sdk-core: add the one you use.
 */
package dev.popw.transport;
