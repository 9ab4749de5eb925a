package io.github.ratelimiter.server;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The PEM files that turn on TLS for both listeners (gRPC and HTTP): the server's certificate chain and its private
 * key (PKCS#8, {@code -----BEGIN PRIVATE KEY-----}; convert an RSA or EC key with
 * {@code openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem}), and, for mutual TLS, the CA certificates
 * that client certificates must chain to (a client without one is refused during the handshake). Immutable.
 *
 * @param certificateChain the server's certificate, then any intermediates
 * @param privateKey the server's unencrypted PKCS#8 private key
 * @param clientCa the CAs of client certificates, or null for TLS without client certificates
 */
public record TlsFiles(Path certificateChain, Path privateKey, Path clientCa) {

  /** Checks that the certificate and key are given. */
  public TlsFiles {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
  }

  /** TLS with the server's certificate and key, no client certificates. */
  public static TlsFiles of(Path certificateChain, Path privateKey) {
    return new TlsFiles(certificateChain, privateKey, null);
  }

  /** Mutual TLS: clients must present a certificate that chains to {@code clientCa}. */
  public static TlsFiles mutual(Path certificateChain, Path privateKey, Path clientCa) {
    return new TlsFiles(certificateChain, privateKey, Objects.requireNonNull(clientCa, "clientCa"));
  }

  /** The client CA file, for mutual TLS. */
  public Optional<Path> clientCaFile() {
    return Optional.ofNullable(clientCa);
  }
}
