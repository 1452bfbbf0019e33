package dev.skiff.streamclient;

import java.util.List;
import java.util.Map;

/** The SPDY/3 frames (draft 3, section 2.6), as values. Stream ids are 31-bit. */
sealed interface SpdyFrame {
    int VERSION = 3;
    int FLAG_FIN = 0x01;
    int FLAG_UNIDIRECTIONAL = 0x02;
    int TYPE_SYN_STREAM = 1;
    int TYPE_SYN_REPLY = 2;
    int TYPE_RST_STREAM = 3;
    int TYPE_SETTINGS = 4;
    int TYPE_PING = 6;
    int TYPE_GOAWAY = 7;
    int TYPE_HEADERS = 8;
    int TYPE_WINDOW_UPDATE = 9;
    /** RST_STREAM status codes used here. */
    int PROTOCOL_ERROR = 1;
    int REFUSED_STREAM = 3;
    int CANCEL = 5;

    record Data(int streamId, boolean fin, byte[] data) implements SpdyFrame {}

    record SynStream(int streamId, int associatedTo, int priority, boolean fin, boolean unidirectional,
                     Map<String, List<String>> headers) implements SpdyFrame {}

    record SynReply(int streamId, boolean fin, Map<String, List<String>> headers) implements SpdyFrame {}

    record RstStream(int streamId, int status) implements SpdyFrame {}

    /** id → value; the per-entry flags are kept out: nothing here persists settings. */
    record Settings(boolean clearPersisted, Map<Integer, Integer> values) implements SpdyFrame {}

    record Ping(int id) implements SpdyFrame {}

    record GoAway(int lastGoodStreamId, int status) implements SpdyFrame {}

    record Headers(int streamId, boolean fin, Map<String, List<String>> headers) implements SpdyFrame {}

    record WindowUpdate(int streamId, int delta) implements SpdyFrame {}
}
