package dev.skiff.kubelet.controller;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Deep copies of model objects (through JSON), so a reconcile never changes what the view handed it. */
final class Copies {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private Copies() {}

    /** {@code o} as a JSON object tree of maps and lists. */
    @SuppressWarnings("unchecked")
    static java.util.Map<String, Object> toMap(Object o) {
        return JSON.convertValue(o, java.util.LinkedHashMap.class);
    }

    @SuppressWarnings("unchecked")
    static <T> T deep(T o) {
        if (o == null) {
            return null;
        }
        try {
            return (T) JSON.readValue(JSON.writeValueAsBytes(o), o.getClass());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy a " + o.getClass().getSimpleName(), e);
        }
    }
}
