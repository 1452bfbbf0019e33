package dev.skiff.kubelet.kuberuntime.actions;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Image reference checks as upstream's applyDefaultImageTag does them with the docker reference grammar
 * (distribution/reference: ParseNormalizedNamed): a malformed reference is InvalidImageName, and a reference
 * with neither tag nor digest gets {@code :latest} appended (not fully qualified, to keep the CRI agnostic of
 * default registries).
 */
final class ImageNames {
    private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final String DOMAIN = "(?:" + DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?";
    private static final String PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final String NAME = "(?:" + DOMAIN + "/)?" + PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*";
    private static final String TAG = "[\\w][\\w.-]{0,127}";
    private static final String DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
    private static final Pattern REFERENCE = Pattern.compile("(" + NAME + ")(?::(" + TAG + "))?(?:@(" + DIGEST + "))?");
    private static final Pattern HEX64 = Pattern.compile("[a-f0-9]{64}");
    private static final int NAME_TOTAL_LENGTH_MAX = 255;

    private ImageNames() {}

    /** The reference to use: {@code image} with {@code :latest} added when it has neither tag nor digest. */
    static String withDefaultTag(String image) throws InvalidImageNameException {
        var m = parse(image);
        boolean tagged = m.group(2) != null;
        boolean digested = m.group(3) != null;
        return tagged || digested ? image : image + ":latest";
    }

    /** The tag of a valid reference, if it has one. */
    static Optional<String> tag(String image) throws InvalidImageNameException {
        return Optional.ofNullable(parse(image).group(2));
    }

    private static java.util.regex.Matcher parse(String image) throws InvalidImageNameException {
        if (image == null || image.isEmpty()) {
            throw new InvalidImageNameException(image, "invalid reference format");
        }
        if (HEX64.matcher(image).matches()) {
            throw new InvalidImageNameException(image, "invalid repository name (" + image
                    + "), cannot specify 64-byte hexadecimal strings");
        }
        var m = REFERENCE.matcher(image);
        if (!m.matches()) {
            var lower = REFERENCE.matcher(image.toLowerCase(java.util.Locale.ROOT));
            if (lower.matches()) {
                throw new InvalidImageNameException(image, "invalid reference format: repository name must be lowercase");
            }
            throw new InvalidImageNameException(image, "invalid reference format");
        }
        if (m.group(1).length() > NAME_TOTAL_LENGTH_MAX) {
            throw new InvalidImageNameException(image, "repository name must not be more than 255 characters");
        }
        return m;
    }

    /** Why a reference is malformed, worded as upstream: {@code couldn't parse image name "<image>": <cause>}. */
    static final class InvalidImageNameException extends Exception {
        InvalidImageNameException(String image, String cause) {
            super("couldn't parse image name \"" + image + "\": " + cause);
        }
    }
}
