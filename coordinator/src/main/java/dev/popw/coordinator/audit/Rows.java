package dev.popw.coordinator.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Table rows as JSON lines, one object per row, column name to value: bytes as {@code {"b64": …}},
 * exact decimals as {@code {"dec": "…"}}, everything else as JSON. What an epoch export writes and
 * an audit reads back into a database of the same schema.
 */
final class Rows {
  static final ObjectMapper JSON = new ObjectMapper();

  private Rows() {}

  /** Writes the rows a query returns; returns how many. */
  static long export(Connection c, String sql, List<Object> args, Path file) throws SQLException, IOException {
    long n = 0;
    try (PreparedStatement ps = c.prepareStatement(sql); BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      ps.setFetchSize(1000);
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
          ObjectNode o = JSON.createObjectNode();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            String name = md.getColumnLabel(i).toLowerCase(java.util.Locale.ROOT);
            Object v = rs.getObject(i);
            if (v == null) {
              o.putNull(name);
            } else if (v instanceof byte[] b) {
              o.putObject(name).put("b64", Base64.getEncoder().encodeToString(b));
            } else if (v instanceof BigDecimal d) {
              o.putObject(name).put("dec", d.toPlainString());
            } else if (v instanceof Boolean b) {
              o.put(name, b);
            } else if (v instanceof Double d) {
              o.put(name, d);
            } else if (v instanceof Float f) {
              o.put(name, f.doubleValue());
            } else if (v instanceof Number num) {
              o.put(name, num.longValue());
            } else {
              o.put(name, v.toString());
            }
          }
          w.write(JSON.writeValueAsString(o));
          w.write('\n');
          n++;
        }
      }
    }
    return n;
  }

  /** Reads a rows file. */
  static List<ObjectNode> read(Path file) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException e) {
          throw new AuditException(file.getFileName() + " line " + n + " is not JSON: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode o)) {
          throw new AuditException(file.getFileName() + " line " + n + " is not a JSON object");
        }
        out.add(o);
      }
    }
    return out;
  }

  /** The Java value of one exported column. */
  static Object value(JsonNode v) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isObject() && v.has("b64")) {
      return Base64.getDecoder().decode(v.get("b64").asText());
    }
    if (v.isObject() && v.has("dec")) {
      return new BigDecimal(v.get("dec").asText());
    }
    if (v.isBoolean()) {
      return v.booleanValue();
    }
    if (v.isIntegralNumber()) {
      return v.longValue();
    }
    if (v.isNumber()) {
      return v.doubleValue();
    }
    return v.asText();
  }

  /** Inserts rows into a table. */
  static void load(Connection c, String table, List<ObjectNode> rows) throws SQLException {
    for (ObjectNode row : rows) {
      List<String> cols = new ArrayList<>();
      List<Object> vals = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getKey().matches("[a-z_0-9]{1,40}")) {
          throw new AuditException("bad column name in " + table + ": " + e.getKey());
        }
        cols.add(e.getKey());
        vals.add(value(e.getValue()));
      }
      String sql = "INSERT INTO " + table + " (" + String.join(",", cols) + ") VALUES (" + "?,".repeat(cols.size()).replaceAll(",$", "") + ")";
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < vals.size(); i++) {
          ps.setObject(i + 1, vals.get(i));
        }
        ps.executeUpdate();
      }
    }
  }
}
