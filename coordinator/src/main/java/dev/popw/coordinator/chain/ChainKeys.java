package dev.popw.coordinator.chain;

import dev.popw.identity.KeyFileException;
import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;

/**
 * The coordinator's chain account key: a secp256k1 key in a PKCS#8 PEM file (the format of
 * {@code popw-coordinator chain-key} and of {@code openssl genpkey}), or a file holding the
 * 32-byte key in hex (as Foundry prints it). Either way the file must be mode 0600.
 */
public final class ChainKeys {
  private ChainKeys() {}

  /** Writes a new secp256k1 key file (0600) and returns its credentials. */
  public static Credentials generate(Path file) {
    SoftwareSigner s = KeyFiles.generate(KeyType.ECDSA_SECP256K1, file);
    s.close();
    return load(file);
  }

  /**
   * @throws KeyFileException if the file is missing, too open, or not a secp256k1 key
   */
  public static Credentials load(Path file) {
    KeyFiles.checkPermissions(file);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).trim();
    } catch (NoSuchFileException e) {
      throw new KeyFileException(file, "chain key file " + file + " does not exist (create one with 'popw-coordinator chain-key --out " + file + "')");
    } catch (IOException e) {
      throw new KeyFileException(file, "cannot read chain key file " + file + ": " + e.getMessage(), e);
    }
    BigInteger d = text.startsWith("-----BEGIN") ? fromPem(file, text) : fromHex(file, text);
    return Credentials.create(ECKeyPair.create(d));
  }

  private static BigInteger fromHex(Path file, String text) {
    String hex = text.startsWith("0x") ? text.substring(2) : text;
    if (!hex.matches("[0-9a-fA-F]{64}")) {
      throw new KeyFileException(file, "chain key file " + file + " holds neither a PEM key nor 32 bytes of hex");
    }
    return new BigInteger(hex, 16);
  }

  private static BigInteger fromPem(Path file, String text) {
    if (!text.startsWith("-----BEGIN PRIVATE KEY-----")) {
      throw new KeyFileException(file, "chain key file " + file + " must be an unencrypted PKCS#8 key (BEGIN PRIVATE KEY)");
    }
    String b64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(ASN1Primitive.fromByteArray(Base64.getDecoder().decode(b64)));
      if (!X9ObjectIdentifiers.id_ecPublicKey.equals(info.getPrivateKeyAlgorithm().getAlgorithm())
          || !SECObjectIdentifiers.secp256k1.equals(info.getPrivateKeyAlgorithm().getParameters())) {
        throw new KeyFileException(file, "chain key file " + file + " is not a secp256k1 key (the chain account needs one)");
      }
      return ECPrivateKey.getInstance(info.parsePrivateKey()).getKey();
    } catch (IOException | IllegalArgumentException e) {
      throw new KeyFileException(file, "chain key file " + file + " is not a valid PKCS#8 key: " + e.getMessage(), e);
    }
  }
}
