package dev.skiff.cri.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Guards the CRI v1 schema against drift from Kubernetes 1.32's CRI
 * (k8s.io/cri-api v0.32.x). Expected values come from the upstream api.proto,
 * not from our copy.
 */
class CriSchemaTest {

    private static final FileDescriptor FILE = CriApiProto.getDescriptor();

    private static final List<String> RUNTIME_METHODS = List.of(
            "Version",
            "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox", "PodSandboxStatus", "ListPodSandbox",
            "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer", "ListContainers",
            "ContainerStatus", "UpdateContainerResources", "ReopenContainerLog",
            "ExecSync", "Exec", "Attach", "PortForward",
            "ContainerStats", "ListContainerStats",
            "PodSandboxStats", "ListPodSandboxStats",
            "UpdateRuntimeConfig", "Status", "CheckpointContainer", "GetContainerEvents",
            "ListMetricDescriptors", "ListPodSandboxMetrics", "RuntimeConfig");

    private static final List<String> IMAGE_METHODS = List.of(
            "ListImages", "ImageStatus", "PullImage", "RemoveImage", "ImageFsInfo");

    @Test
    @DisplayName("proto package is runtime.v1")
    void packageName() {
        assertEquals("runtime.v1", FILE.getPackage());
        assertEquals("runtime/v1/api.proto", FILE.getName());
        assertEquals("proto3", FILE.toProto().getSyntax());
        assertTrue(FILE.getDependencies().isEmpty(), "schema must not import anything (no gogoproto)");
    }

    @Test
    @DisplayName("RuntimeService has the 29 Kubernetes 1.32 methods, in order")
    void runtimeServiceMethods() {
        ServiceDescriptor svc = FILE.findServiceByName("RuntimeService");
        assertNotNull(svc);
        assertEquals(29, svc.getMethods().size());
        assertEquals(RUNTIME_METHODS, svc.getMethods().stream().map(MethodDescriptor::getName).toList());
        assertEquals("runtime.v1.RuntimeService", svc.getFullName());
    }

    @Test
    @DisplayName("ImageService has the 5 Kubernetes 1.32 methods, in order")
    void imageServiceMethods() {
        ServiceDescriptor svc = FILE.findServiceByName("ImageService");
        assertNotNull(svc);
        assertEquals(5, svc.getMethods().size());
        assertEquals(IMAGE_METHODS, svc.getMethods().stream().map(MethodDescriptor::getName).toList());
        assertEquals(2, FILE.getServices().size());
    }

    @Test
    @DisplayName("only GetContainerEvents streams, and only from the server")
    void streaming() {
        for (ServiceDescriptor svc : FILE.getServices()) {
            for (MethodDescriptor m : svc.getMethods()) {
                assertFalse(m.isClientStreaming(), m.getFullName());
                assertEquals("GetContainerEvents".equals(m.getName()), m.isServerStreaming(), m.getFullName());
            }
        }
        MethodDescriptor events = FILE.findServiceByName("RuntimeService").findMethodByName("GetContainerEvents");
        assertEquals("runtime.v1.GetEventsRequest", events.getInputType().getFullName());
        assertEquals("runtime.v1.ContainerEventResponse", events.getOutputType().getFullName());
    }

    @Test
    @DisplayName("request/response types of a few RPCs")
    void rpcTypes() {
        ServiceDescriptor rt = FILE.findServiceByName("RuntimeService");
        assertEquals("PodSandboxStatusResponse",
                rt.findMethodByName("PodSandboxStatus").getOutputType().getName());
        assertEquals("UpdateRuntimeConfigRequest",
                rt.findMethodByName("UpdateRuntimeConfig").getInputType().getName());
        assertEquals("RuntimeConfigResponse", rt.findMethodByName("RuntimeConfig").getOutputType().getName());
        assertEquals("ImageFsInfoResponse",
                FILE.findServiceByName("ImageService").findMethodByName("ImageFsInfo").getOutputType().getName());
    }

    @Test
    @DisplayName("153 messages, counting nested ones and not counting map entries")
    void messageCount() {
        assertEquals(153, countMessages(FILE.getMessageTypes()));
    }

    @Test
    @DisplayName("nothing from Kubernetes 1.33 or later")
    void noLaterAdditions() {
        assertNull(field("Mount", "image_sub_path"));
        assertNull(field("ContainerConfig", "stop_signal"));
        assertNull(field("CpuUsage", "psi"));
        assertNull(field("ContainerStats", "io"));
        assertNull(FILE.findMessageTypeByName("UpdatePodSandboxResourcesRequest"));
        assertNull(FILE.findMessageTypeByName("PsiStats"));
        assertNull(FILE.findEnumTypeByName("Signal"));
        assertNull(FILE.findServiceByName("RuntimeService").findMethodByName("UpdatePodSandboxResources"));
    }

    @Test
    @DisplayName("PodSandboxConfig fields")
    void podSandboxConfig() {
        assertMessageField("PodSandboxConfig", "metadata", 1, "runtime.v1.PodSandboxMetadata");
        assertScalar("PodSandboxConfig", "hostname", 2, FieldDescriptor.Type.STRING, false);
        assertScalar("PodSandboxConfig", "log_directory", 3, FieldDescriptor.Type.STRING, false);
        assertRepeatedMessage("PodSandboxConfig", "port_mappings", 5, "runtime.v1.PortMapping");
        assertMap("PodSandboxConfig", "labels", 6);
        assertMap("PodSandboxConfig", "annotations", 7);
        assertMessageField("PodSandboxConfig", "linux", 8, "runtime.v1.LinuxPodSandboxConfig");
        assertMessageField("PodSandboxConfig", "windows", 9, "runtime.v1.WindowsPodSandboxConfig");
        assertScalar("RunPodSandboxRequest", "runtime_handler", 2, FieldDescriptor.Type.STRING, false);
    }

    @Test
    @DisplayName("ContainerConfig and ContainerStatus fields")
    void containerConfigAndStatus() {
        assertMessageField("ContainerConfig", "image", 2, "runtime.v1.ImageSpec");
        assertRepeatedMessage("ContainerConfig", "envs", 6, "runtime.v1.KeyValue");
        assertRepeatedMessage("ContainerConfig", "mounts", 7, "runtime.v1.Mount");
        assertScalar("ContainerConfig", "log_path", 11, FieldDescriptor.Type.STRING, false);
        assertScalar("ContainerConfig", "tty", 14, FieldDescriptor.Type.BOOL, false);
        assertRepeatedMessage("ContainerConfig", "CDI_devices", 17, "runtime.v1.CDIDevice");

        assertEnumField("ContainerStatus", "state", 3, "runtime.v1.ContainerState");
        assertScalar("ContainerStatus", "finished_at", 6, FieldDescriptor.Type.INT64, false);
        assertScalar("ContainerStatus", "exit_code", 7, FieldDescriptor.Type.INT32, false);
        assertScalar("ContainerStatus", "reason", 10, FieldDescriptor.Type.STRING, false);
        assertScalar("ContainerStatus", "message", 11, FieldDescriptor.Type.STRING, false);
        assertScalar("ContainerStatus", "log_path", 15, FieldDescriptor.Type.STRING, false);
        assertScalar("ContainerStatus", "image_id", 17, FieldDescriptor.Type.STRING, false);
        assertMessageField("ContainerStatus", "user", 18, "runtime.v1.ContainerUser");

        assertScalar("Container", "image_id", 10, FieldDescriptor.Type.STRING, false);
        assertScalar("StopContainerRequest", "timeout", 2, FieldDescriptor.Type.INT64, false);
    }

    @Test
    @DisplayName("LinuxContainerSecurityContext fields")
    void linuxContainerSecurityContext() {
        String m = "LinuxContainerSecurityContext";
        assertMessageField(m, "capabilities", 1, "runtime.v1.Capability");
        assertScalar(m, "privileged", 2, FieldDescriptor.Type.BOOL, false);
        assertMessageField(m, "namespace_options", 3, "runtime.v1.NamespaceOption");
        assertMessageField(m, "run_as_user", 5, "runtime.v1.Int64Value");
        assertScalar(m, "run_as_username", 6, FieldDescriptor.Type.STRING, false);
        assertScalar(m, "readonly_rootfs", 7, FieldDescriptor.Type.BOOL, false);
        assertScalar(m, "supplemental_groups", 8, FieldDescriptor.Type.INT64, true);
        assertScalar(m, "apparmor_profile", 9, FieldDescriptor.Type.STRING, false);
        assertScalar(m, "seccomp_profile_path", 10, FieldDescriptor.Type.STRING, false);
        assertScalar(m, "no_new_privs", 11, FieldDescriptor.Type.BOOL, false);
        assertMessageField(m, "run_as_group", 12, "runtime.v1.Int64Value");
        assertScalar(m, "masked_paths", 13, FieldDescriptor.Type.STRING, true);
        assertScalar(m, "readonly_paths", 14, FieldDescriptor.Type.STRING, true);
        assertMessageField(m, "seccomp", 15, "runtime.v1.SecurityProfile");
        assertMessageField(m, "apparmor", 16, "runtime.v1.SecurityProfile");
        assertEnumField(m, "supplemental_groups_policy", 17, "runtime.v1.SupplementalGroupsPolicy");
        assertTrue(field(m, "apparmor_profile").getOptions().getDeprecated());
        assertTrue(field(m, "seccomp_profile_path").getOptions().getDeprecated());
    }

    @Test
    @DisplayName("image, mount and misc fields")
    void miscFields() {
        assertScalar("ImageSpec", "image", 1, FieldDescriptor.Type.STRING, false);
        assertMap("ImageSpec", "annotations", 2);
        assertScalar("ImageSpec", "user_specified_image", 18, FieldDescriptor.Type.STRING, false);
        assertScalar("ImageSpec", "runtime_handler", 19, FieldDescriptor.Type.STRING, false);
        assertMessageField("PullImageRequest", "sandbox_config", 3, "runtime.v1.PodSandboxConfig");
        assertScalar("Image", "size", 4, FieldDescriptor.Type.UINT64, false);
        assertScalar("Image", "pinned", 8, FieldDescriptor.Type.BOOL, false);

        assertRepeatedMessage("Mount", "uidMappings", 6, "runtime.v1.IDMapping");
        assertScalar("Mount", "recursive_read_only", 8, FieldDescriptor.Type.BOOL, false);
        assertMessageField("Mount", "image", 9, "runtime.v1.ImageSpec");

        assertScalar("ExecSyncResponse", "stdout", 1, FieldDescriptor.Type.BYTES, false);
        assertScalar("PortForwardRequest", "port", 2, FieldDescriptor.Type.INT32, true);
        assertRepeatedMessage("WindowsContainerResources", "affinity_cpus", 6, "runtime.v1.WindowsCpuGroupAffinity");
        assertMessageField("StatusResponse", "features", 4, "runtime.v1.RuntimeFeatures");
        assertRepeatedMessage("PodSandboxStatusResponse", "containers_statuses", 3, "runtime.v1.ContainerStatus");
        assertEnumField("LinuxRuntimeConfiguration", "cgroup_driver", 1, "runtime.v1.CgroupDriver");
    }

    @Test
    @DisplayName("enum values and nested types")
    void enums() {
        EnumDescriptor state = FILE.findEnumTypeByName("ContainerState");
        assertEquals(0, state.findValueByName("CONTAINER_CREATED").getNumber());
        assertEquals(1, state.findValueByName("CONTAINER_RUNNING").getNumber());
        assertEquals(2, state.findValueByName("CONTAINER_EXITED").getNumber());
        assertEquals(3, state.findValueByName("CONTAINER_UNKNOWN").getNumber());
        assertEquals(1, FILE.findEnumTypeByName("PodSandboxState").findValueByName("SANDBOX_NOTREADY").getNumber());
        assertEquals(3, FILE.findEnumTypeByName("NamespaceMode").findValueByName("TARGET").getNumber());
        assertEquals(1, FILE.findEnumTypeByName("CgroupDriver").findValueByName("CGROUPFS").getNumber());
        assertEquals(3, FILE.findEnumTypeByName("ContainerEventType")
                .findValueByName("CONTAINER_DELETED_EVENT").getNumber());

        EnumDescriptor profile = FILE.findMessageTypeByName("SecurityProfile").findEnumTypeByName("ProfileType");
        assertNotNull(profile);
        assertEquals("runtime.v1.SecurityProfile.ProfileType", profile.getFullName());
        assertEquals(2, profile.findValueByName("Localhost").getNumber());
        assertEquals(9, FILE.getEnumTypes().size());
    }

    private static int countMessages(List<Descriptor> types) {
        int n = 0;
        for (Descriptor d : types) {
            if (d.getOptions().getMapEntry()) {
                continue;
            }
            n += 1 + countMessages(d.getNestedTypes());
        }
        return n;
    }

    private static FieldDescriptor field(String message, String name) {
        Descriptor d = FILE.findMessageTypeByName(message);
        assertNotNull(d, "missing message " + message);
        return d.findFieldByName(name);
    }

    private static FieldDescriptor existing(String message, String name, int number) {
        FieldDescriptor f = field(message, name);
        assertNotNull(f, "missing field " + message + "." + name);
        assertEquals(number, f.getNumber(), message + "." + name + " number");
        assertNull(f.getRealContainingOneof(), message + "." + name + " must not be in a oneof");
        return f;
    }

    private static void assertScalar(String message, String name, int number, FieldDescriptor.Type type,
            boolean repeated) {
        FieldDescriptor f = existing(message, name, number);
        assertEquals(type, f.getType(), message + "." + name + " type");
        assertEquals(repeated, f.isRepeated(), message + "." + name + " repeated");
    }

    private static void assertMessageField(String message, String name, int number, String typeName) {
        FieldDescriptor f = existing(message, name, number);
        assertEquals(FieldDescriptor.Type.MESSAGE, f.getType(), message + "." + name + " type");
        assertFalse(f.isRepeated(), message + "." + name + " repeated");
        assertEquals(typeName, f.getMessageType().getFullName());
    }

    private static void assertRepeatedMessage(String message, String name, int number, String typeName) {
        FieldDescriptor f = existing(message, name, number);
        assertTrue(f.isRepeated(), message + "." + name + " repeated");
        assertFalse(f.isMapField(), message + "." + name + " map");
        assertEquals(typeName, f.getMessageType().getFullName());
    }

    private static void assertEnumField(String message, String name, int number, String typeName) {
        FieldDescriptor f = existing(message, name, number);
        assertEquals(FieldDescriptor.Type.ENUM, f.getType(), message + "." + name + " type");
        assertEquals(typeName, f.getEnumType().getFullName());
    }

    private static void assertMap(String message, String name, int number) {
        FieldDescriptor f = existing(message, name, number);
        assertTrue(f.isMapField(), message + "." + name + " map");
        Descriptor entry = f.getMessageType();
        assertEquals(FieldDescriptorProto.Type.TYPE_STRING, entry.findFieldByName("key").toProto().getType());
        assertEquals(FieldDescriptorProto.Type.TYPE_STRING, entry.findFieldByName("value").toProto().getType());
    }
}
