package dev.skiff.kubelet.kuberuntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A host resolv.conf as the kubelet reads it (upstream dns.go parseResolvConf): nameservers
 * accumulate, the last {@code search} line wins (trailing dots trimmed, "." dropped), options
 * accumulate with a later option of the same name replacing the earlier one.
 */
public record ResolvConf(List<String> nameservers, List<String> searches, List<String> options) {
    /** Upstream refuses to read more than this. */
    static final long MAX_LENGTH = 10L * 1024 * 1024;

    public ResolvConf {
        nameservers = List.copyOf(nameservers);
        searches = List.copyOf(searches);
        options = List.copyOf(options);
    }

    public static ResolvConf empty() {
        return new ResolvConf(List.of(), List.of(), List.of());
    }

    public static ResolvConf read(Path file) throws IOException {
        if (Files.size(file) > MAX_LENGTH) {
            throw new IOException(file + " is larger than " + MAX_LENGTH + " bytes");
        }
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    public static ResolvConf parse(String content) {
        List<String> servers = new ArrayList<>();
        List<String> searches = new ArrayList<>();
        Map<String, String> options = new LinkedHashMap<>();
        for (String line : content.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#")) {
                continue;
            }
            String[] fields = trimmed.split("\\s+");
            if (fields.length == 0 || fields[0].isEmpty()) {
                continue;
            }
            switch (fields[0]) {
                case "nameserver" -> {
                    if (fields.length >= 2) {
                        servers.add(fields[1]);
                    }
                }
                case "search" -> {
                    searches = new ArrayList<>();
                    for (int i = 1; i < fields.length; i++) {
                        if (!fields[i].equals(".")) {
                            searches.add(fields[i].endsWith(".") ? fields[i].substring(0, fields[i].length() - 1) : fields[i]);
                        }
                    }
                }
                case "options" -> {
                    for (int i = 1; i < fields.length; i++) {
                        options.put(optionName(fields[i]), fields[i]);
                    }
                }
                default -> {
                }
            }
        }
        return new ResolvConf(servers, searches, new ArrayList<>(options.values()));
    }

    static String optionName(String option) {
        int colon = option.indexOf(':');
        return colon < 0 ? option : option.substring(0, colon);
    }
}
