package io.github.ratelimiter.spring.internal;

import java.util.Collection;
import java.util.Map;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.server.resource.authentication.AbstractOAuth2TokenAuthenticationToken;
import org.springframework.util.ClassUtils;

/**
 * Reads a claim of the authenticated user's token through Spring Security, which is optional: this class is loaded
 * only for {@code claim:} sources, whose validation requires Spring Security on the classpath; the OAuth2 types are
 * touched only when present.
 */
final class Claims {

  private static final boolean OAUTH2_TOKENS = ClassUtils.isPresent(
      "org.springframework.security.oauth2.server.resource.authentication.AbstractOAuth2TokenAuthenticationToken",
      Claims.class.getClassLoader());
  private static final boolean OAUTH2_PRINCIPALS = ClassUtils.isPresent(
      "org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal", Claims.class.getClassLoader());

  private Claims() {}

  /**
   * The claim of the current authentication: a JWT's or an opaque token's attribute (OAuth2 resource server), or an
   * OAuth2 login's user attribute; {@code null} when there is no such authentication or claim, or the claim is not a
   * single value.
   */
  static String claim(String name) {
    return claim(SecurityContextHolder.getContext().getAuthentication(), name);
  }

  /**
   * The claim of a reactive request's principal ({@code ServerWebExchange.getPrincipal()}, which Spring Security
   * sets to the {@link Authentication}); {@code null} as {@link #claim(String)}.
   */
  static String claim(java.security.Principal principal, String name) {
    return principal instanceof Authentication authentication ? claim(authentication, name) : null;
  }

  private static String claim(Authentication authentication, String name) {
    if (authentication == null || !authentication.isAuthenticated()) {
      return null;
    }
    Object value = null;
    if (OAUTH2_TOKENS) {
      value = Tokens.attribute(authentication, name);
    }
    if (value == null && OAUTH2_PRINCIPALS) {
      value = Principals.attribute(authentication, name);
    }
    if (value == null || value instanceof Collection<?> || value instanceof Map<?, ?>) {
      return null;
    }
    return value.toString();
  }

  /** Loaded only when the OAuth2 resource server is present. */
  private static final class Tokens {
    static Object attribute(Authentication authentication, String name) {
      return authentication instanceof AbstractOAuth2TokenAuthenticationToken<?> token
          ? token.getTokenAttributes().get(name) : null;
    }
  }

  /** Loaded only when OAuth2 core is present. */
  private static final class Principals {
    static Object attribute(Authentication authentication, String name) {
      return authentication.getPrincipal() instanceof OAuth2AuthenticatedPrincipal principal
          ? principal.getAttribute(name) : null;
    }
  }
}
