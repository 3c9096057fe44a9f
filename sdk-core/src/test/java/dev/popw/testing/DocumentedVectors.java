package dev.popw.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the test vectors published in the docs: a {@code ### title} heading, then a fenced block of
 * {@code name: value} lines. Tests compare them with what the code computes, so a document cannot go
 * stale.
 */
public final class DocumentedVectors {
  private DocumentedVectors() {}

  /** The checkout's docs/ file of that name (tests run in a module folder, one below the root). */
  public static Path doc(String name) {
    return Path.of("..", "docs", name);
  }

  /**
   * The vector under {@code ### title} in {@code doc}, as name -> value in document order.
   *
   * @throws AssertionError if the document has no such block
   */
  public static Map<String, String> block(Path doc, String title) {
    String text;
    try {
      text = Files.readString(doc);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Matcher m = Pattern.compile("^### " + Pattern.quote(title) + "\\n```\\n(.*?)```", Pattern.MULTILINE | Pattern.DOTALL).matcher(text);
    if (!m.find()) {
      throw new AssertionError("no vector '" + title + "' in " + doc);
    }
    Map<String, String> v = new LinkedHashMap<>();
    for (String line : m.group(1).strip().split("\n")) {
      String[] kv = line.split(": ", 2);
      if (kv.length != 2) {
        throw new AssertionError("not a 'name: value' line in '" + title + "' of " + doc + ": " + line);
      }
      v.put(kv[0], kv[1]);
    }
    return v;
  }
}
