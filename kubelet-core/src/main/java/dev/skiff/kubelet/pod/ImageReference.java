package dev.skiff.kubelet.pod;

/** The parts of an image reference the defaults need, as upstream's parsers.ParseImageName reads them. */
final class ImageReference {
    private ImageReference() {}

    /**
     * The tag of {@code image}: the explicit tag; "latest" when there is neither tag nor digest; "" when there is
     * only a digest.
     */
    static String tag(String image) {
        if (image == null || image.isEmpty()) {
            return "latest";
        }
        String name = image;
        boolean digest = false;
        int at = name.indexOf('@');
        if (at >= 0) {
            digest = true;
            name = name.substring(0, at);
        }
        int slash = name.lastIndexOf('/');
        int colon = name.lastIndexOf(':');
        if (colon > slash) {
            return name.substring(colon + 1);
        }
        return digest ? "" : "latest";
    }
}
