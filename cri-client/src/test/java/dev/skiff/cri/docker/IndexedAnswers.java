package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.skiff.cri.v1.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compares what a running shim answers from its index with what the same calls answer when they ask Docker
 * directly (services over the same Docker client whose indexes are never live): the wire bytes of each
 * ListPodSandbox, ListContainers (both limited to a label selector, so other tests' objects never race in),
 * every listed object's status (a sandbox's without its timestamp), ImageStatus and a filtered ListImages of the
 * given references, and optionally the whole ListImages.
 */
public final class IndexedAnswers {
    private IndexedAnswers() {}

    /** Whether the runtime's index is live (its event stream followed and resynced). */
    public static boolean live(DockerCriRuntime cri) {
        return cri.runtime() instanceof DockerRuntimeService r && r.index().live();
    }

    /** Every difference, described with both answers; empty when the indexed answers are the fresh ones. */
    public static List<String> differences(DockerCriRuntime cri, Map<String, String> selector, List<String> imageRefs,
                                           boolean wholeImageList) {
        List<String> out = new ArrayList<>();
        if (!live(cri)) {
            out.add("the index is not live: its answers would be Docker's own");
            return out;
        }
        DockerClient docker = cri.docker();
        RuntimeIndex never = new RuntimeIndex(new RuntimeIndex.Source() {
            @Override
            public java.util.Optional<ContainerRecord> inspect(String id) {
                throw new IllegalStateException("a fresh answer asked the index");
            }

            @Override
            public List<String> ids() {
                throw new IllegalStateException("a fresh answer asked the index");
            }
        });
        DockerImageService freshImages = new DockerImageService(docker);
        SandboxService freshSandboxes = new SandboxService(docker, null, null, null, id -> { }, never);
        ContainerService freshContainers = new ContainerService(docker, freshSandboxes, null, null, never, freshImages.index());
        var rt = cri.runtime();
        var images = cri.images();

        ListPodSandboxRequest sandboxes = ListPodSandboxRequest.newBuilder()
                .setFilter(PodSandboxFilter.newBuilder().putAllLabelSelector(selector)).build();
        ListPodSandboxResponse indexedSandboxes = rt.listPodSandbox(sandboxes);
        ListPodSandboxResponse freshSandboxList = freshSandboxes.list(sandboxes);
        compare(out, "ListPodSandbox", indexedSandboxes, freshSandboxList);
        for (PodSandbox s : freshSandboxList.getItemsList()) {
            PodSandboxStatusRequest req = PodSandboxStatusRequest.newBuilder().setPodSandboxId(s.getId()).build();
            compare(out, "PodSandboxStatus " + s.getId(), rt.podSandboxStatus(req).getStatus(), freshSandboxes.status(req).getStatus());
        }
        ListContainersRequest containers = ListContainersRequest.newBuilder()
                .setFilter(ContainerFilter.newBuilder().putAllLabelSelector(selector)).build();
        ListContainersResponse freshContainerList = freshContainers.list(containers);
        compare(out, "ListContainers", rt.listContainers(containers), freshContainerList);
        for (Container c : freshContainerList.getContainersList()) {
            ContainerStatusRequest req = ContainerStatusRequest.newBuilder().setContainerId(c.getId()).build();
            compare(out, "ContainerStatus " + c.getId(), rt.containerStatus(req), freshContainers.status(req));
        }
        for (String ref : imageRefs) {
            ImageStatusRequest req = ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(ref)).build();
            compare(out, "ImageStatus " + ref, images.imageStatus(req), freshImages.imageStatus(req));
            ListImagesRequest list = ListImagesRequest.newBuilder()
                    .setFilter(ImageFilter.newBuilder().setImage(ImageSpec.newBuilder().setImage(ref))).build();
            compare(out, "ListImages " + ref, images.listImages(list), freshImages.listImages(list));
        }
        if (wholeImageList) {
            ListImagesRequest all = ListImagesRequest.getDefaultInstance();
            compare(out, "ListImages", images.listImages(all), freshImages.listImages(all));
        }
        return out;
    }

    private static void compare(List<String> out, String what, Message indexed, Message fresh) {
        if (!indexed.toByteString().equals(fresh.toByteString())) {
            out.add(what + " differs:\n--- indexed\n" + TextFormat.printer().printToString(indexed)
                    + "--- fresh\n" + TextFormat.printer().printToString(fresh));
        }
    }
}
