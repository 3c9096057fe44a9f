/**
 * The coordinator's signature engine: AWS-LC through Amazon Corretto Crypto Provider where its
 * native library loads, Bouncy Castle otherwise (docs/coordinator.md, "Signature verification").
 */
package dev.popw.coordinator.signatures;
