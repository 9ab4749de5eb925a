package io.github.ratelimiter.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API is the package {@code io.github.ratelimiter.server} (this module has no module-info: see its pom),
 * and none of its public signatures names a type of the internal package.
 */
class ApiSurfaceTest {

  @Test
  void publicSignaturesNameNoInternalType() {
    List<String> leaks = new ArrayList<>();
    for (Class<?> type : List.of(RateLimitServer.class, RateLimitServer.Builder.class, RequestBounds.class,
        TlsFiles.class)) {
      for (Method method : type.getMethods()) {
        if (!Modifier.isPublic(method.getModifiers())) {
          continue;
        }
        Stream.concat(Stream.of(method.getReturnType()), Stream.of(method.getParameterTypes()))
            .filter(t -> t.getPackageName().startsWith("io.github.ratelimiter.server.internal"))
            .forEach(t -> leaks.add(type.getSimpleName() + "." + method.getName() + ": " + t.getName()));
      }
    }
    assertThat(leaks).isEmpty();
  }
}
