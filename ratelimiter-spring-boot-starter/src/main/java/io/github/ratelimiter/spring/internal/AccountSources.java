package io.github.ratelimiter.spring.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.expression.spel.support.StandardEvaluationContext;
import org.springframework.util.ClassUtils;
import org.springframework.web.util.UriComponentsBuilder;
import org.springframework.web.util.UriUtils;

/**
 * Parses the {@code account} property of a route into an {@link AccountSource}: {@code header:NAME},
 * {@code claim:NAME}, {@code param:NAME}, {@code path:NAME}, {@code principal} or {@code expression:SPEL}.
 */
public final class AccountSources {

  /** The accepted syntax, for messages. */
  public static final String SYNTAX = "one of header:NAME, claim:NAME, param:NAME, path:NAME, principal,"
      + " expression:SPEL";

  private static final SpelExpressionParser PARSER = new SpelExpressionParser();
  private static final String SECURITY_CONTEXT = "org.springframework.security.core.context.SecurityContextHolder";

  private AccountSources() {}

  /** Why {@code spec} is not a valid account source for a route on {@code path}, or {@code null} when it is. */
  public static String problem(String spec, String path) {
    String s = spec.trim();
    if (s.equals("principal")) {
      return null;
    }
    int colon = s.indexOf(':');
    if (colon < 0) {
      return "is not an account source (expected " + SYNTAX + "): '" + spec + "'";
    }
    String kind = s.substring(0, colon);
    String argument = s.substring(colon + 1).trim();
    if (argument.isEmpty()) {
      return "names no " + (kind.equals("expression") ? "expression" : "name") + " after '" + kind + ":': '"
          + spec + "'";
    }
    switch (kind) {
      case "header", "param":
        return null;
      case "claim":
        return ClassUtils.isPresent(SECURITY_CONTEXT, null) ? null
            : "needs Spring Security on the classpath (spring-boot-starter-security-oauth2-resource-server for JWTs):"
                + " '" + spec + "'";
      case "path":
        return path == null || path.contains("{" + argument + "}") || path.contains("{" + argument + ":")
            || path.contains("{*" + argument + "}") ? null
            : "names a path variable that the route's path '" + path + "' does not have: '" + spec + "'";
      case "expression":
        try {
          PARSER.parseExpression(argument);
          return null;
        } catch (ParseException e) {
          return "is not a valid SpEL expression: '" + spec + "': " + e.getMessage();
        }
      default:
        return "has an unknown account source '" + kind + "' (expected " + SYNTAX + "): '" + spec + "'";
    }
  }

  /**
   * The source that {@code spec} describes; {@link #problem} must have accepted it.
   *
   * @param beanFactory resolves {@code @bean} references in expressions; may be {@code null}
   */
  public static AccountSource parse(String spec, BeanFactory beanFactory) {
    String s = spec.trim();
    if (s.equals("principal")) {
      return new Simple("the authenticated principal", (request, variables) -> request.principalName(), true);
    }
    int colon = s.indexOf(':');
    String kind = s.substring(0, colon);
    String name = s.substring(colon + 1).trim();
    return switch (kind) {
      case "header" -> new Simple("header '" + name + "'", (request, variables) -> request.header(name), false);
      case "param" -> new Simple("query parameter '" + name + "'",
          (request, variables) -> queryParameter(request.rawQuery(), name), false);
      case "path" -> new Simple("path variable '" + name + "'", (request, variables) -> variables.get(name), false);
      case "claim" -> new Simple("claim '" + name + "' of the authenticated token",
          (request, variables) -> request.claim(name), true);
      case "expression" -> expression(name, beanFactory);
      default -> throw new IllegalArgumentException("account source " + problem(spec, null));
    };
  }

  /** The first value of a query parameter, decoded; {@code null} when the raw query string has none. */
  static String queryParameter(String query, String name) {
    if (query == null) {
      return null;
    }
    List<String> values = UriComponentsBuilder.newInstance().query(query).build().getQueryParams().get(name);
    if (values == null || values.isEmpty() || values.get(0) == null) {
      return null;
    }
    return UriUtils.decode(values.get(0), StandardCharsets.UTF_8);
  }

  private static AccountSource expression(String text, BeanFactory beanFactory) {
    Expression expression = PARSER.parseExpression(text);
    BeanFactoryResolver resolver = beanFactory == null ? null : new BeanFactoryResolver(beanFactory);
    return new Simple("expression '" + text + "'", (request, variables) -> {
      StandardEvaluationContext context = new StandardEvaluationContext();
      request.expose(context);
      context.setVariable("pathVariables", variables);
      if (resolver != null) {
        context.setBeanResolver(resolver);
      }
      Object value = expression.getValue(context);
      return value == null ? null : value.toString();
    }, false);
  }

  private interface Reader {
    String read(RouteRequest request, Map<String, String> variables);
  }

  private record Simple(String description, Reader reader, boolean readsPrincipal) implements AccountSource {
    @Override
    public String resolve(RouteRequest request, Map<String, String> pathVariables) {
      String value = reader.read(request, pathVariables);
      if (value == null) {
        return null;
      }
      String trimmed = value.trim();
      return trimmed.isEmpty() ? null : trimmed;
    }
  }
}
