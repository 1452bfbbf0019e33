package dev.skiff.kubelet.apiserver;

import dev.skiff.kubelet.stats.Summary;
import io.fabric8.kubernetes.api.model.ContainerImage;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the node's status is computed from at each update, read from the running kubelet.
 *
 * @param notReady  why the node is not ready (runtime down, PLEG or sync loop stuck), empty when it is
 * @param nodeStats the Summary API's node stats (memory and file systems), empty before the stats parts run or on error
 * @param images    the images on the node, as the Node lists them
 */
public record NodeHealth(Supplier<Optional<String>> notReady, Supplier<Optional<Summary.NodeStats>> nodeStats,
                         Supplier<List<ContainerImage>> images) {}
