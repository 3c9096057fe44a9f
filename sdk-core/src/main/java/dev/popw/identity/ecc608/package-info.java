/**
 * Device keys in a Microchip ATECC608 secure element: the I²C command protocol ({@link
 * dev.popw.identity.ecc608.Ecc608}) behind a small bus interface; the device agent binds it to Pi4J.
 * Tested against a simulated chip, not yet on hardware. See docs/hardware-keys.md.
 */
package dev.popw.identity.ecc608;
