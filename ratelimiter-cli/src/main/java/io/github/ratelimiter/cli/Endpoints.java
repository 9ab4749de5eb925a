package io.github.ratelimiter.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A DynamoDB endpoint on the command line or in {@code DYNAMODB_ENDPOINT}: an absolute http(s) URL with a host. */
final class Endpoints implements ITypeConverter<URI> {

  @Override
  public URI convert(String value) {
    try {
      return parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }

  /**
   * The endpoint {@code value} names.
   *
   * @throws IllegalArgumentException if it is not an http or https URL with a host, naming the value
   */
  static URI parse(String value) {
    String text = value == null ? "" : value.trim();
    try {
      URI uri = new URI(text);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below, as for any other value that is no endpoint
    }
    throw new IllegalArgumentException("not an http(s) URL: '" + value + "' (e.g. http://127.0.0.1:8000)");
  }
}
