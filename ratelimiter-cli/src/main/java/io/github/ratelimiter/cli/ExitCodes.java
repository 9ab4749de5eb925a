package io.github.ratelimiter.cli;

/** The documented exit codes. */
final class ExitCodes {
  /** The command did what was asked. */
  static final int OK = 0;
  /** The request was denied, the thing asked for was not found, or a sync left conflicts alone. */
  static final int DENIED_OR_NOT_FOUND = 1;
  /** Bad command line, bad limits file or missing configuration: nothing was sent. */
  static final int USAGE = 2;
  /** The store (DynamoDB) failed, or another unexpected error. */
  static final int STORE_ERROR = 3;

  private ExitCodes() {}
}
