package dev.spruce.model.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a JSON document into plain Java values (Map, List, String, Long, Double, Boolean, null) with
 * Jackson's streaming parser — the project's one JSON library (the safetensors code uses it too), without
 * pulling in data binding for the one tokenizer.json a model needs.
 */
final class JsonTree {
    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonTree() {
    }

    static Object parse(Reader reader) throws IOException {
        try (JsonParser p = FACTORY.createParser(reader)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new IOException("empty document");
            }
            Object v = value(p, t);
            if (p.nextToken() != null) {
                throw new IOException("trailing content after the JSON document");
            }
            return v;
        }
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    if (k == null) {
                        throw new IOException("unterminated object");
                    }
                    String name = p.currentName();
                    JsonToken vt = p.nextToken();
                    if (vt == null) {
                        throw new IOException("unterminated object");
                    }
                    m.put(name, value(p, vt));
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    if (e == null) {
                        throw new IOException("unterminated array");
                    }
                    l.add(value(p, e));
                }
                return l;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new IOException("unexpected JSON token " + t);
        }
    }
}
