package io.github.ratelimiter.server.internal;

import io.github.ratelimiter.server.TlsFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS material of {@link TlsFiles}, read once at start: key managers for the server's certificate and key,
 * trust managers for the client CA, and an {@link SSLContext} of both for the HTTP listener (the gRPC listener takes
 * the managers). Every failure names the file.
 */
final class Pem {

  private static final char[] NO_PASSWORD = new char[0];

  final KeyManager[] keyManagers;
  final TrustManager[] trustManagers;
  final SSLContext sslContext;

  private Pem(KeyManager[] keyManagers, TrustManager[] trustManagers, SSLContext sslContext) {
    this.keyManagers = keyManagers;
    this.trustManagers = trustManagers;
    this.sslContext = sslContext;
  }

  /**
   * Reads the files.
   *
   * @throws IllegalArgumentException naming the file that cannot be read or is not what it should be
   */
  static Pem read(TlsFiles files) {
    Certificate[] chain = certificates(files.certificateChain(), "the certificate chain").toArray(new Certificate[0]);
    PrivateKey key = privateKey(files.privateKey());
    try {
      requireMatch(key, chain[0]);
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("server", key, NO_PASSWORD, chain);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, NO_PASSWORD);
      TrustManager[] trust = null;
      if (files.clientCaFile().isPresent()) {
        KeyStore cas = KeyStore.getInstance("PKCS12");
        cas.load(null, null);
        int i = 0;
        for (Certificate ca : certificates(files.clientCaFile().get(), "the client CA")) {
          cas.setCertificateEntry("ca-" + i++, ca);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(cas);
        trust = tmf.getTrustManagers();
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), trust, null);
      return new Pem(kmf.getKeyManagers(), trust, context);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("the key " + files.privateKey() + " does not go with the certificate "
          + files.certificateChain() + ": " + e.getMessage(), e);
    }
  }

  /** Signs a few bytes with the key and checks the signature with the certificate's public key. */
  private static void requireMatch(PrivateKey key, Certificate certificate) throws GeneralSecurityException {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> key.getAlgorithm();
    };
    byte[] probe = "ratelimiter".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(probe);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(certificate.getPublicKey());
    verifier.update(probe);
    if (!verifier.verify(signature)) {
      throw new GeneralSecurityException("the key is not the certificate's");
    }
  }

  private static Collection<? extends Certificate> certificates(Path file, String what) {
    try (InputStream in = Files.newInputStream(file)) {
      Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
          .generateCertificates(in);
      if (certificates.isEmpty()) {
        throw new IllegalArgumentException(what + " " + file + " holds no PEM certificate");
      }
      return certificates;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
    }
  }

  private static PrivateKey privateKey(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the private key " + file + ": " + e, e);
    }
    if (text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY")
        || text.contains("BEGIN ENCRYPTED PRIVATE KEY")) {
      throw new IllegalArgumentException("the private key " + file + " must be an unencrypted PKCS#8 PEM"
          + " (BEGIN PRIVATE KEY): convert it with 'openssl pkcs8 -topk8 -nocrypt -in " + file + "'");
    }
    int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = text.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException("the private key " + file + " holds no '-----BEGIN PRIVATE KEY-----' block");
    }
    byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException("the private key " + file + " is not an RSA, EC or Ed25519 PKCS#8 key");
  }
}
