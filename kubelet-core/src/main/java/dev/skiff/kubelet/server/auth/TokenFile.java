package dev.skiff.kubelet.server.auth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A static token file, upstream's format (k8s.io/apiserver tokenfile): CSV lines {@code token,user,uid} with an
 * optional fourth column of groups, quoted when it lists several: {@code t0k3n,alice,1001,"ops,monitoring"}. Unlike
 * upstream, where a short record fails the whole file without a line, every bad line is an error naming the file and
 * the line; no error ever shows a token.
 */
public final class TokenFile {
    private static final Logger log = LoggerFactory.getLogger(TokenFile.class);
    private final Map<String, User> users;

    private TokenFile(Map<String, User> users) {
        this.users = Map.copyOf(users);
    }

    /** A line of the file cannot be used; the message names the file and line, never the token. */
    public static final class TokenFileException extends Exception {
        public TokenFileException(String message) {
            super(message);
        }
    }

    public static TokenFile load(Path file) throws TokenFileException {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TokenFileException("cannot read token file " + file + ": " + e.getMessage());
        }
        return parse(file, content);
    }

    static TokenFile parse(Path file, String content) throws TokenFileException {
        Map<String, User> users = new HashMap<>();
        String[] lines = content.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            List<String> record = fields(line).orElseThrow(() -> new TokenFileException("token file " + file
                    + ", line " + lineNo + ": a quote is not closed or is followed by more text (quote the whole field)"));
            if (record.size() < 3) {
                throw new TokenFileException("token file " + file + ", line " + lineNo
                        + ": must have at least 3 columns (token, user name, user uid), found " + record.size());
            }
            if (record.get(0).isEmpty()) {
                throw new TokenFileException("token file " + file + ", line " + lineNo + ": the token is empty");
            }
            if (record.get(1).isEmpty()) {
                throw new TokenFileException("token file " + file + ", line " + lineNo + ": the user name is empty");
            }
            List<String> groups = new ArrayList<>();
            if (record.size() >= 4 && !record.get(3).isEmpty()) {
                for (String g : record.get(3).split(",", -1)) {
                    if (!g.isEmpty()) {
                        groups.add(g);
                    }
                }
            }
            User previous = users.put(record.get(0), new User(record.get(1), record.get(2), groups));
            if (previous != null) {
                // upstream warns and the later line wins
                log.warn("token file {}, line {}: duplicate token (also used for user {}); this line wins", file,
                        lineNo, previous.name());
            }
        }
        return new TokenFile(users);
    }

    /** No tokens: what the secure port starts from without {@code --token-auth-file}. */
    public static TokenFile empty() {
        return new TokenFile(Map.of());
    }

    /** These tokens and one more ({@code token} wins over a line of the file with the same token). */
    public TokenFile with(String token, User user) {
        Map<String, User> all = new HashMap<>(users);
        all.put(token, user);
        return new TokenFile(all);
    }

    /** The user of a token, empty when the file has no such token. */
    public Optional<User> user(String token) {
        return Optional.ofNullable(users.get(token));
    }

    public int size() {
        return users.size();
    }

    /** One CSV record (RFC 4180 quoting, as Go's encoding/csv reads it); empty when a quote is malformed. */
    static Optional<List<String>> fields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        int i = 0;
        while (true) {
            f.setLength(0);
            if (i < line.length() && line.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= line.length()) {
                        return Optional.empty();
                    }
                    char c = line.charAt(i++);
                    if (c == '"') {
                        if (i < line.length() && line.charAt(i) == '"') {
                            f.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        f.append(c);
                    }
                }
                if (i < line.length() && line.charAt(i) != ',') {
                    return Optional.empty();
                }
            } else {
                while (i < line.length() && line.charAt(i) != ',') {
                    char c = line.charAt(i++);
                    if (c == '"') {
                        return Optional.empty();
                    }
                    f.append(c);
                }
            }
            out.add(f.toString());
            if (i >= line.length()) {
                return Optional.of(out);
            }
            i++; // the comma
        }
    }
}
