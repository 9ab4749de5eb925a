package io.github.ratelimiter.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.github.ratelimiter.server.RateLimitServer;
import io.github.ratelimiter.server.TlsFiles;
import io.github.ratelimiter.store.InMemoryStore;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mutual TLS on both listeners, from the PEM files in src/test/resources/tls. */
class TlsTest {

  @TempDir Path dir;

  private static Path tls(String name) throws Exception {
    return Path.of(TlsTest.class.getResource("/tls/" + name).toURI());
  }

  private RateLimitServer start(TlsFiles files) throws IOException {
    Path config = Files.writeString(dir.resolve("d.yaml"),
        "domain: d\ndescriptors:\n  - key: user\n    rate_limit: {unit: hour, requests_per_unit: 100}\n");
    return RateLimitServer.builder().store(InMemoryStore.create()).config(config).grpcPort(0).httpPort(0)
        .tls(files).start();
  }

  private static Code ask(RateLimitServer server, ChannelCredentials credentials) {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.grpcPort(), credentials).build();
    try {
      return RateLimitServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .shouldRateLimit(RateLimitRequest.newBuilder().setDomain("d").addDescriptors(RateLimitDescriptor
              .newBuilder().addEntries(RateLimitDescriptor.Entry.newBuilder().setKey("user").setValue("u")))
              .build()).getOverallCode();
    } finally {
      channel.shutdownNow();
    }
  }

  private static int https(RateLimitServer server, SSLContext context) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(context).build();
    return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.httpPort() + "/json"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"domain\":\"d\",\"descriptors\":[{\"entries\":[{\"key\":"
            + "\"user\",\"value\":\"u\"}]}]}")).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  /** Trusts the test CA, presents no certificate. */
  private static SSLContext trustingTheCa() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(tls("ca.pem"))) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  @Test
  void tlsOnBothListeners() throws Exception {
    try (RateLimitServer server = start(TlsFiles.of(tls("server.pem"), tls("server.key")))) {
      assertThat(ask(server, TlsChannelCredentials.newBuilder().trustManager(tls("ca.pem").toFile()).build()))
          .isEqualTo(Code.OK);
      assertThat(https(server, trustingTheCa())).isEqualTo(200);
      assertThatThrownBy(() -> ask(server, InsecureChannelCredentials.create()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
  }

  @Test
  void mutualTlsRefusesAClientWithoutACertificate() throws Exception {
    try (RateLimitServer server = start(TlsFiles.mutual(tls("server.pem"), tls("server.key"), tls("ca.pem")))) {
      assertThat(ask(server, TlsChannelCredentials.newBuilder().trustManager(tls("ca.pem").toFile())
          .keyManager(tls("client.pem").toFile(), tls("client.key").toFile()).build())).isEqualTo(Code.OK);
      SSLContext withCertificate = Pem.read(TlsFiles.mutual(tls("client.pem"), tls("client.key"), tls("ca.pem")))
          .sslContext;
      assertThat(https(server, withCertificate)).isEqualTo(200);

      assertThatThrownBy(() -> ask(server, TlsChannelCredentials.newBuilder().trustManager(tls("ca.pem").toFile())
          .build())).isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      assertThatThrownBy(() -> https(server, trustingTheCa())).isInstanceOf(IOException.class);
    }
  }

  @Test
  void badTlsFilesAreRefusedNamingTheFile() throws Exception {
    Path notAKey = Files.writeString(dir.resolve("key.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n");
    assertThatThrownBy(() -> start(TlsFiles.of(tls("server.pem"), notAKey)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the private key " + notAKey + " must be an unencrypted PKCS#8 PEM");
    assertThatThrownBy(() -> start(TlsFiles.of(dir.resolve("missing.pem"), tls("server.key"))))
        .hasMessageStartingWith("cannot read the certificate chain " + dir.resolve("missing.pem"));
    assertThatThrownBy(() -> start(TlsFiles.of(tls("client.pem"), tls("server.key"))))
        .hasMessageStartingWith("the key " + tls("server.key") + " does not go with the certificate");
  }
}
