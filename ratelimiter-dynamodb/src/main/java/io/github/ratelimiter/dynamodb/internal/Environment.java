package io.github.ratelimiter.dynamodb.internal;

import java.util.Map;

/** The one place that reads the process environment. */
public final class Environment {

  private Environment() {}

  /** The process's environment variables. */
  public static Map<String, String> variables() {
    return System.getenv();
  }
}
