/**
 * Device keys in PKCS#11 tokens (HSMs, SoftHSM, TPM 2.0 through tpm2-pkcs11), through the JDK's own
 * SunPKCS11 binding. See docs/hardware-keys.md.
 */
package dev.popw.identity.pkcs11;
