package dev.skiff.cri.v1;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor.Type;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guards the wire contract with Kubernetes 1.32's CRI: names, counts and the field numbers
 * that crictl and the kubelet rely on. Expected values are upstream's, not this file's.
 */
class CriSchemaTest {
    private static final FileDescriptor FILE = CriApiProto.getDescriptor();

    @Test
    void packageIsRuntimeV1() {
        assertEquals("runtime.v1", FILE.getPackage());
    }

    @Test
    void runtimeServiceHasThe29RpcsOf132() {
        assertMethods("RuntimeService", List.of(
                "Version", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox", "PodSandboxStatus",
                "ListPodSandbox", "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer",
                "ListContainers", "ContainerStatus", "UpdateContainerResources", "ReopenContainerLog",
                "ExecSync", "Exec", "Attach", "PortForward", "ContainerStats", "ListContainerStats",
                "PodSandboxStats", "ListPodSandboxStats", "UpdateRuntimeConfig", "Status",
                "CheckpointContainer", "GetContainerEvents", "ListMetricDescriptors",
                "ListPodSandboxMetrics", "RuntimeConfig"));
    }

    @Test
    void imageServiceHasThe5RpcsOf132() {
        assertMethods("ImageService", List.of("ListImages", "ImageStatus", "PullImage", "RemoveImage", "ImageFsInfo"));
    }

    @Test
    void has153Messages() {
        int count = 0;
        for (Descriptor d : FILE.getMessageTypes()) {
            count += countWithNested(d);
        }
        assertEquals(153, count);
    }

    @Test
    void getContainerEventsIsServerStreaming() {
        MethodDescriptor m = FILE.findServiceByName("RuntimeService").findMethodByName("GetContainerEvents");
        assertTrue(m.isServerStreaming());
        assertFalse(m.isClientStreaming());
        assertEquals("GetEventsRequest", m.getInputType().getName());
        assertEquals("ContainerEventResponse", m.getOutputType().getName());
    }

    @Test
    void fieldNumbersCrictlAndTheKubeletRelyOn() {
        field("PodSandboxConfig", "metadata", 1, Type.MESSAGE);
        field("PodSandboxConfig", "hostname", 2, Type.STRING);
        field("PodSandboxConfig", "log_directory", 3, Type.STRING);
        field("PodSandboxConfig", "dns_config", 4, Type.MESSAGE);
        field("PodSandboxConfig", "port_mappings", 5, Type.MESSAGE);
        field("PodSandboxConfig", "linux", 8, Type.MESSAGE);
        field("PodSandboxMetadata", "attempt", 4, Type.UINT32);
        field("ContainerConfig", "image", 2, Type.MESSAGE);
        field("ContainerConfig", "envs", 6, Type.MESSAGE);
        field("ContainerConfig", "mounts", 7, Type.MESSAGE);
        field("ContainerConfig", "log_path", 11, Type.STRING);
        field("ContainerConfig", "tty", 14, Type.BOOL);
        field("ContainerConfig", "linux", 15, Type.MESSAGE);
        field("ContainerStatus", "state", 3, Type.ENUM);
        field("ContainerStatus", "created_at", 4, Type.INT64);
        field("ContainerStatus", "exit_code", 7, Type.INT32);
        field("ContainerStatus", "image_ref", 9, Type.STRING);
        field("ContainerStatus", "reason", 10, Type.STRING);
        field("ContainerStatus", "log_path", 15, Type.STRING);
        field("LinuxContainerSecurityContext", "capabilities", 1, Type.MESSAGE);
        field("LinuxContainerSecurityContext", "privileged", 2, Type.BOOL);
        field("LinuxContainerSecurityContext", "run_as_user", 5, Type.MESSAGE);
        field("LinuxContainerSecurityContext", "readonly_rootfs", 7, Type.BOOL);
        field("LinuxContainerSecurityContext", "no_new_privs", 11, Type.BOOL);
        field("LinuxContainerSecurityContext", "run_as_group", 12, Type.MESSAGE);
        field("ExecSyncRequest", "timeout", 3, Type.INT64);
        field("ExecSyncResponse", "exit_code", 3, Type.INT32);
        field("Mount", "propagation", 5, Type.ENUM);
        field("RunPodSandboxRequest", "runtime_handler", 2, Type.STRING);
        field("CreateContainerRequest", "sandbox_config", 3, Type.MESSAGE);
        field("StopContainerRequest", "timeout", 2, Type.INT64);
    }

    @Test
    void enumValuesMatch() {
        assertEquals(2, NamespaceMode.NODE.getNumber());
        assertEquals(3, NamespaceMode.TARGET.getNumber());
        assertEquals(1, ContainerState.CONTAINER_RUNNING.getNumber());
        assertEquals(2, ContainerState.CONTAINER_EXITED.getNumber());
        assertEquals(1, PodSandboxState.SANDBOX_NOTREADY.getNumber());
        assertEquals(2, MountPropagation.PROPAGATION_BIDIRECTIONAL.getNumber());
        assertEquals(2, Protocol.SCTP.getNumber());
    }

    private static void assertMethods(String service, List<String> expected) {
        ServiceDescriptor s = FILE.findServiceByName(service);
        assertNotNull(s, service);
        assertEquals(expected, s.getMethods().stream().map(MethodDescriptor::getName).toList());
    }

    private static int countWithNested(Descriptor d) {
        if (d.getOptions().getMapEntry()) {
            return 0;
        }
        int n = 1;
        for (Descriptor nested : d.getNestedTypes()) {
            n += countWithNested(nested);
        }
        return n;
    }

    private static void field(String message, String name, int number, Type type) {
        Descriptor d = FILE.findMessageTypeByName(message);
        assertNotNull(d, message);
        FieldDescriptor f = d.findFieldByName(name);
        assertNotNull(f, message + "." + name);
        assertEquals(number, f.getNumber(), message + "." + name + " number");
        assertEquals(type, f.getType(), message + "." + name + " type");
    }
}
