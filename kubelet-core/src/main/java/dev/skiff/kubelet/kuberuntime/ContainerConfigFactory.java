package dev.skiff.kubelet.kuberuntime;

import dev.skiff.cri.v1.ContainerConfig;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.Device;
import dev.skiff.cri.v1.ImageSpec;
import dev.skiff.cri.v1.KeyValue;
import dev.skiff.cri.v1.LinuxContainerConfig;
import dev.skiff.cri.v1.Mount;
import dev.skiff.cri.v1.MountPropagation;
import dev.skiff.volume.MountedVolume;
import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeObjects;
import dev.skiff.volume.subpath.SubPathRequest;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.VolumeDevice;
import io.fabric8.kubernetes.api.model.VolumeMount;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Container → CRI ContainerConfig (upstream kuberuntime_container.go generateContainerConfig with
 * kubelet_pods.go makeEnvironmentVariables/makeMounts). Writes the pod's etc-hosts file and creates
 * the container's termination-message file, as upstream does while building the config.
 */
public final class ContainerConfigFactory {
    private static final Logger log = LoggerFactory.getLogger(ContainerConfigFactory.class);
    static final String ETC_HOSTS = "/etc/hosts";

    /**
     * One container to create.
     *
     * @param imageRef      the image to run (the pulled image's id or reference); the spec's image is sent as user_specified_image
     * @param podIps        the sandbox's IPs (host network: the node's IPs); empty → no /etc/hosts mount
     * @param volumes       the pod's set-up volumes by name, from the volume manager
     * @param imageUid      the image's numeric user, when it has one (for runAsNonRoot)
     * @param imageUsername the image's non-numeric user, "" when none
     */
    public record Request(Pod pod, Container container, int restartCount, String imageRef, List<String> podIps,
                          Map<String, MountedVolume> volumes, Optional<Long> imageUid, String imageUsername) {
        public Request {
            Objects.requireNonNull(pod, "pod");
            Objects.requireNonNull(container, "container");
            imageRef = imageRef == null || imageRef.isEmpty() ? container.getImage() : imageRef;
            podIps = List.copyOf(podIps);
            volumes = Map.copyOf(volumes);
            imageUid = imageUid == null ? Optional.empty() : imageUid;
            imageUsername = imageUsername == null ? "" : imageUsername;
        }

        /** With volumes given as name → host path, none read-only. */
        public static Request of(Pod pod, Container container, int restartCount, List<String> podIps,
                                 Map<String, String> volumePaths) {
            Map<String, MountedVolume> volumes = new java.util.HashMap<>();
            volumePaths.forEach((name, path) -> volumes.put(name, new MountedVolume(name, Path.of(path), false)));
            return new Request(pod, container, restartCount, null, podIps, volumes, Optional.empty(), "");
        }
    }

    /** Binds a volumeMount's subPath where the container can use it (the volume manager's safe subPath). */
    @FunctionalInterface
    public interface SubPaths {
        Path prepare(SubPathRequest request) throws VolumeException;

        /** volume/subPath as a plain path: for tests without mounts. */
        static SubPaths joined() {
            return r -> r.volumePath().resolve(r.subPath());
        }
    }

    private final NodeFacts node;
    private final PodEnvironment environment;
    private final SubPaths subPaths;
    private final Supplier<String> uniqueId;

    public ContainerConfigFactory(NodeFacts node, VolumeObjects objects, SubPaths subPaths) {
        this(node, objects, subPaths, randomHex());
    }

    ContainerConfigFactory(NodeFacts node, VolumeObjects objects, SubPaths subPaths, Supplier<String> uniqueId) {
        this.node = node;
        this.environment = new PodEnvironment(node, objects);
        this.subPaths = subPaths;
        this.uniqueId = uniqueId;
    }

    public ContainerConfig create(Request r) throws CreateConfigException {
        Pod pod = r.pod();
        Container c = r.container();
        Map<String, String> env = environment.build(pod, c, r.podIps());
        ContainerConfig.Builder b = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(c.getName()).setAttempt(r.restartCount()))
                .setImage(ImageSpec.newBuilder().setImage(r.imageRef()).setUserSpecifiedImage(nz(c.getImage())))
                .setWorkingDir(nz(c.getWorkingDir()))
                .putAllLabels(KubeAnnotations.containerLabels(c, pod))
                .putAllAnnotations(KubeAnnotations.containerAnnotations(c, pod, r.restartCount()))
                .setLogPath(c.getName() + "/" + r.restartCount() + ".log")
                .setStdin(Boolean.TRUE.equals(c.getStdin()))
                .setStdinOnce(Boolean.TRUE.equals(c.getStdinOnce()))
                .setTty(Boolean.TRUE.equals(c.getTty()));
        if (c.getCommand() != null) {
            c.getCommand().forEach(s -> b.addCommand(Expansion.expand(s, env)));
        }
        if (c.getArgs() != null) {
            c.getArgs().forEach(s -> b.addArgs(Expansion.expand(s, env)));
        }
        env.forEach((k, v) -> b.addEnvs(KeyValue.newBuilder().setKey(k).setValue(v)));
        b.addAllMounts(mounts(r, env));
        b.addAllDevices(blockDevices(r));
        log.debug("pod {}/{} ({}): container config for {} attempt {} ({} envs, {} mounts)", pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(), pod.getMetadata().getUid(), c.getName(), r.restartCount(), env.size(), b.getMountsCount());
        b.setLinux(LinuxContainerConfig.newBuilder()
                .setResources(LinuxResources.of(pod, c, node.memoryCapacityBytes()))
                .setSecurityContext(ContainerSecurity.of(pod, c, r.imageUid(), r.imageUsername(),
                        node.rootDir().resolve("seccomp"))));
        return b.build();
    }

    private List<Mount> mounts(Request r, Map<String, String> env) throws CreateConfigException {
        Pod pod = r.pod();
        Container c = r.container();
        List<Mount> out = new ArrayList<>();
        boolean mountEtcHosts = !r.podIps().isEmpty();
        Path podDir = node.podDir(pod.getMetadata().getUid());
        List<VolumeMount> volumeMounts = c.getVolumeMounts() == null ? List.of() : c.getVolumeMounts();
        for (int i = 0; i < volumeMounts.size(); i++) {
            VolumeMount vm = volumeMounts.get(i);
            String containerPath = vm.getMountPath().startsWith("/") ? vm.getMountPath() : "/" + vm.getMountPath();
            if (containerPath.equals(ETC_HOSTS)) {
                mountEtcHosts = false;
            }
            MountedVolume volume = r.volumes().get(vm.getName());
            if (volume == null) {
                throw new CreateConfigException("cannot find volume \"" + vm.getName() + "\" to mount into container \""
                        + c.getName() + "\"");
            }
            if (volume.block()) {
                throw new CreateConfigException("volume \"" + vm.getName() + "\" is a Block volume: pass it to container \""
                        + c.getName() + "\" with volumeDevices, not volumeMounts");
            }
            Path hostPath = volume.path();
            String subPath = subPath(vm, env);
            if (!subPath.isEmpty()) {
                try {
                    hostPath = subPaths.prepare(new SubPathRequest(volume.path(), subPath, podDir, vm.getName(),
                            c.getName(), i));
                } catch (VolumeException e) {
                    throw new CreateConfigException("failed to prepare subPath for volumeMount \"" + vm.getName()
                            + "\" of container \"" + c.getName() + "\": " + e.getMessage(), e);
                }
            }
            out.add(Mount.newBuilder().setContainerPath(containerPath).setHostPath(hostPath.toString())
                    .setReadonly(Boolean.TRUE.equals(vm.getReadOnly()) || volume.readOnly())
                    .setPropagation(propagation(vm.getMountPropagation())).build());
        }
        if (mountEtcHosts) {
            out.add(Mount.newBuilder().setContainerPath(ETC_HOSTS).setHostPath(writeEtcHosts(pod, r.podIps(), podDir).toString())
                    .setSelinuxRelabel(true).build());
        }
        String terminationPath = c.getTerminationMessagePath();
        if (terminationPath != null && !terminationPath.isEmpty()) {
            Path file = terminationMessageFile(pod, podDir.resolve("containers").resolve(c.getName()));
            out.add(Mount.newBuilder().setContainerPath(terminationPath).setHostPath(file.toString())
                    .setSelinuxRelabel(true).build());
        }
        return out;
    }

    /** volumeDevices → CRI devices (upstream makeBlockVolumes): the Block volume's device at devicePath, rwm. */
    private static List<Device> blockDevices(Request r) throws CreateConfigException {
        List<Device> out = new ArrayList<>();
        if (r.container().getVolumeDevices() == null) {
            return out;
        }
        for (VolumeDevice vd : r.container().getVolumeDevices()) {
            MountedVolume volume = r.volumes().get(vd.getName());
            if (volume == null || !volume.block()) {
                throw new CreateConfigException("cannot find volume \"" + vd.getName() + "\" to pass into container \""
                        + r.container().getName() + "\"" + (volume == null ? "" : ": it is not a Block volume"));
            }
            out.add(Device.newBuilder().setContainerPath(vd.getDevicePath()).setHostPath(volume.path().toString())
                    .setPermissions("mrw").build());
        }
        return out;
    }

    /** subPathExpr expanded (every variable must resolve), then: relative, no "..". */
    private static String subPath(VolumeMount vm, Map<String, String> env) throws CreateConfigException {
        String subPath = nz(vm.getSubPath());
        if (vm.getSubPathExpr() != null && !vm.getSubPathExpr().isEmpty()) {
            TreeSet<String> missing = new TreeSet<>();
            subPath = Expansion.expand(vm.getSubPathExpr(), name -> {
                String v = env.get(name);
                if (v == null || v.isEmpty()) {
                    missing.add(name);
                    return "";
                }
                return v;
            });
            if (!missing.isEmpty()) {
                throw new CreateConfigException("missing value for " + String.join(", ", missing));
            }
        }
        if (subPath.isEmpty()) {
            return "";
        }
        if (subPath.startsWith("/")) {
            throw new CreateConfigException("error SubPath `" + subPath + "` must not be an absolute path");
        }
        for (String part : subPath.split("/")) {
            if (part.equals("..")) {
                throw new CreateConfigException("unable to provision SubPath `" + subPath + "`: must not contain '..'");
            }
        }
        return subPath;
    }

    static MountPropagation propagation(String mode) throws CreateConfigException {
        if (mode == null || mode.isEmpty() || mode.equals("None")) {
            return MountPropagation.PROPAGATION_PRIVATE;
        }
        return switch (mode) {
            case "HostToContainer" -> MountPropagation.PROPAGATION_HOST_TO_CONTAINER;
            case "Bidirectional" -> MountPropagation.PROPAGATION_BIDIRECTIONAL;
            default -> throw new CreateConfigException("invalid MountPropagation mode: \"" + mode + "\"");
        };
    }

    private Path writeEtcHosts(Pod pod, List<String> podIps, Path podDir) throws CreateConfigException {
        var spec = pod.getSpec();
        String content;
        try {
            if (Boolean.TRUE.equals(spec.getHostNetwork())) {
                content = EtcHosts.hostNetworkContent(Files.readString(node.nodeHostsFile(), StandardCharsets.UTF_8),
                        spec.getHostAliases());
            } else {
                PodHostname h = PodHostname.of(pod, node.clusterDomain());
                content = EtcHosts.managedContent(podIps, h.hostname(), h.domain(), spec.getHostAliases());
            }
            return EtcHosts.write(podDir, content);
        } catch (IOException e) {
            throw new CreateConfigException("cannot write the hosts file of pod " + pod.getMetadata().getNamespace() + "/"
                    + pod.getMetadata().getName() + ": " + e.getMessage(), e);
        }
    }

    /** A fresh world-writable file per container instance, so a restart never reads its predecessor's message. */
    private Path terminationMessageFile(Pod pod, Path dir) throws CreateConfigException {
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < 10; i++) {
                Path file = dir.resolve(uniqueId.get());
                try {
                    Files.createFile(file);
                } catch (FileAlreadyExistsException e) {
                    continue;
                }
                // 0666 so a non-root container user can write its message (the umask would narrow createFile)
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
                return file;
            }
            throw new CreateConfigException("cannot pick a unique termination message file in " + dir);
        } catch (IOException e) {
            log.warn("pod {}/{} ({}): cannot create termination message file in {}: {}", pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName(), pod.getMetadata().getUid(), dir, e.toString());
            throw new CreateConfigException("cannot create termination message file in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Supplier<String> randomHex() {
        SecureRandom random = new SecureRandom();
        return () -> String.format("%08x", random.nextInt());
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
