package dev.skiff.kubelet.pod;

import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactoryBuilder;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.events.Event;

import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;

/**
 * A YAMLFactory whose parsers also show the SnakeYAML event behind the current token. Jackson keeps the anchor of a
 * mapping or list but drops the anchor of a scalar, so {@link ManifestTrees} reads anchors, aliases and tags from the
 * event itself. Only {@code createParser(byte[])} is used.
 */
final class EventYamlFactory extends YAMLFactory {
    private static final long serialVersionUID = 1L;

    EventYamlFactory(YAMLFactoryBuilder builder) {
        super(builder);
    }

    @Override
    protected YAMLParser _createParser(byte[] data, int offset, int len, IOContext ctxt) {
        Reader reader = new InputStreamReader(new ByteArrayInputStream(data, offset, len), StandardCharsets.UTF_8);
        return new EventParser(ctxt, _parserFeatures, _yamlParserFeatures, _loaderOptions, _objectCodec, reader);
    }

    /** A YAMLParser that tells the event its current token came from. */
    static final class EventParser extends YAMLParser {
        EventParser(IOContext ctxt, int parserFeatures, int formatFeatures, LoaderOptions loaderOptions,
                    ObjectCodec codec, Reader reader) {
            super(ctxt, parserFeatures, formatFeatures, loaderOptions, codec, reader);
        }

        /** The SnakeYAML event of the current token. */
        Event event() {
            return _lastEvent;
        }
    }
}
