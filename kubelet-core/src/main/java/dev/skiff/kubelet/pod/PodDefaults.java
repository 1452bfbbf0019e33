package dev.skiff.kubelet.pod;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Lifecycle;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus;
import io.fabric8.kubernetes.api.model.PersistentVolumeStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceAccountTokenProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The defaults the API server applies on create (upstream pkg/apis/core/v1/defaults.go), so a static pod looks
 * as it would had it been posted to a cluster. Only fills what is unset; never overrides the manifest.
 */
public final class PodDefaults {
    static final int DEFAULT_MODE = 0644;
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private PodDefaults() {}

    /** Applies the defaults for the kind of {@code object}; kinds without defaults are left alone. */
    public static void apply(HasMetadata object) {
        if (object instanceof Pod pod) {
            apply(pod);
        } else if (object instanceof Secret secret) {
            if (isEmpty(secret.getType())) {
                secret.setType("Opaque");
            }
        } else if (object instanceof ConfigMap cm) {
            if (cm.getData() == null) {
                cm.setData(new LinkedHashMap<>());
            }
        } else if (object instanceof PersistentVolume pv) {
            if (pv.getStatus() == null) {
                pv.setStatus(new PersistentVolumeStatus());
            }
            if (isEmpty(pv.getStatus().getPhase())) {
                pv.getStatus().setPhase("Pending");
            }
            if (pv.getSpec() != null) {
                if (isEmpty(pv.getSpec().getPersistentVolumeReclaimPolicy())) {
                    pv.getSpec().setPersistentVolumeReclaimPolicy("Retain");
                }
                if (isEmpty(pv.getSpec().getVolumeMode())) {
                    pv.getSpec().setVolumeMode("Filesystem");
                }
            }
        } else if (object instanceof Service svc) {
            apply(svc);
        } else if (object instanceof PersistentVolumeClaim pvc) {
            if (pvc.getStatus() == null) {
                pvc.setStatus(new PersistentVolumeClaimStatus());
            }
            if (isEmpty(pvc.getStatus().getPhase())) {
                pvc.getStatus().setPhase("Pending");
            }
            if (pvc.getSpec() != null && isEmpty(pvc.getSpec().getVolumeMode())) {
                pvc.getSpec().setVolumeMode("Filesystem");
            }
        }
    }

    /** SetDefaults_Service: type ClusterIP, sessionAffinity None, each port TCP with targetPort = port. */
    public static void apply(Service svc) {
        if (svc.getSpec() == null) {
            return; // the validator says spec is required
        }
        ServiceSpec spec = svc.getSpec();
        if (isEmpty(spec.getType())) {
            spec.setType("ClusterIP");
        }
        if (isEmpty(spec.getSessionAffinity())) {
            spec.setSessionAffinity("None");
        }
        if (spec.getPublishNotReadyAddresses() == null) {
            spec.setPublishNotReadyAddresses(false);
        }
        if (spec.getPorts() != null) {
            for (ServicePort p : spec.getPorts()) {
                if (isEmpty(p.getProtocol())) {
                    p.setProtocol("TCP");
                }
                if (p.getTargetPort() == null && p.getPort() != null) {
                    p.setTargetPort(new IntOrString(p.getPort()));
                }
            }
        }
    }

    public static void apply(Pod pod) {
        if (pod.getSpec() == null) {
            pod.setSpec(new PodSpec());
        }
        PodSpec spec = pod.getSpec();
        // SetDefaults_PodSpec
        if (isEmpty(spec.getDnsPolicy())) {
            spec.setDnsPolicy("ClusterFirst");
        }
        if (isEmpty(spec.getRestartPolicy())) {
            spec.setRestartPolicy("Always");
        }
        if (spec.getSecurityContext() == null) {
            spec.setSecurityContext(new PodSecurityContext());
        }
        if (spec.getTerminationGracePeriodSeconds() == null) {
            spec.setTerminationGracePeriodSeconds(30L);
        }
        if (isEmpty(spec.getSchedulerName())) {
            spec.setSchedulerName("default-scheduler");
        }
        // SetDefaults_Pod
        if (spec.getEnableServiceLinks() == null) {
            spec.setEnableServiceLinks(true);
        }
        // The Priority admission plugin gives pods without a priority class priority 0.
        if (spec.getPriority() == null && isEmpty(spec.getPriorityClassName())) {
            spec.setPriority(0);
        }
        boolean hostNetwork = Boolean.TRUE.equals(spec.getHostNetwork());
        for (Container c : containers(spec.getInitContainers())) {
            container(c, hostNetwork);
        }
        for (Container c : containers(spec.getContainers())) {
            container(c, hostNetwork);
        }
        if (spec.getVolumes() != null) {
            for (Volume v : spec.getVolumes()) {
                volume(v);
            }
        }
    }

    private static List<Container> containers(List<Container> list) {
        return list == null ? List.of() : list;
    }

    private static void container(Container c, boolean hostNetwork) {
        if (isEmpty(c.getImagePullPolicy())) {
            c.setImagePullPolicy("latest".equals(ImageReference.tag(c.getImage())) ? "Always" : "IfNotPresent");
        }
        if (isEmpty(c.getTerminationMessagePath())) {
            c.setTerminationMessagePath("/dev/termination-log");
        }
        if (isEmpty(c.getTerminationMessagePolicy())) {
            c.setTerminationMessagePolicy("File");
        }
        if (c.getPorts() != null) {
            for (ContainerPort p : c.getPorts()) {
                if (isEmpty(p.getProtocol())) {
                    p.setProtocol("TCP");
                }
                if (hostNetwork && (p.getHostPort() == null || p.getHostPort() == 0)) {
                    p.setHostPort(p.getContainerPort());
                }
            }
        }
        probe(c.getLivenessProbe());
        probe(c.getReadinessProbe());
        probe(c.getStartupProbe());
        Lifecycle lc = c.getLifecycle();
        if (lc != null) {
            handler(lc.getPostStart());
            handler(lc.getPreStop());
        }
        if (c.getEnv() != null) {
            for (EnvVar e : c.getEnv()) {
                if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null
                        && isEmpty(e.getValueFrom().getFieldRef().getApiVersion())) {
                    e.getValueFrom().getFieldRef().setApiVersion("v1");
                }
            }
        }
        // Requests default to limits for what only has a limit (done for pods, not templates, upstream).
        ResourceRequirements r = c.getResources();
        if (r != null && r.getLimits() != null && !r.getLimits().isEmpty()) {
            if (r.getRequests() == null) {
                r.setRequests(new LinkedHashMap<>());
            }
            for (Map.Entry<String, io.fabric8.kubernetes.api.model.Quantity> e : r.getLimits().entrySet()) {
                r.getRequests().putIfAbsent(e.getKey(),
                        new io.fabric8.kubernetes.api.model.Quantity(e.getValue().getAmount(), e.getValue().getFormat()));
            }
        }
    }

    private static void probe(Probe p) {
        if (p == null) {
            return;
        }
        if (p.getTimeoutSeconds() == null || p.getTimeoutSeconds() == 0) {
            p.setTimeoutSeconds(1);
        }
        if (p.getPeriodSeconds() == null || p.getPeriodSeconds() == 0) {
            p.setPeriodSeconds(10);
        }
        if (p.getSuccessThreshold() == null || p.getSuccessThreshold() == 0) {
            p.setSuccessThreshold(1);
        }
        if (p.getFailureThreshold() == null || p.getFailureThreshold() == 0) {
            p.setFailureThreshold(3);
        }
        httpGet(p.getHttpGet());
    }

    private static void handler(LifecycleHandler h) {
        if (h != null) {
            httpGet(h.getHttpGet());
        }
    }

    private static void httpGet(HTTPGetAction a) {
        if (a == null) {
            return;
        }
        if (isEmpty(a.getPath())) {
            a.setPath("/");
        }
        if (isEmpty(a.getScheme())) {
            a.setScheme("HTTP");
        }
    }

    private static void volume(Volume v) {
        if (hasNoSource(v)) {
            v.setEmptyDir(new EmptyDirVolumeSource());
        }
        if (v.getSecret() != null && v.getSecret().getDefaultMode() == null) {
            v.getSecret().setDefaultMode(DEFAULT_MODE);
        }
        if (v.getConfigMap() != null && v.getConfigMap().getDefaultMode() == null) {
            v.getConfigMap().setDefaultMode(DEFAULT_MODE);
        }
        if (v.getDownwardAPI() != null && v.getDownwardAPI().getDefaultMode() == null) {
            v.getDownwardAPI().setDefaultMode(DEFAULT_MODE);
        }
        if (v.getProjected() != null) {
            if (v.getProjected().getDefaultMode() == null) {
                v.getProjected().setDefaultMode(DEFAULT_MODE);
            }
            if (v.getProjected().getSources() != null) {
                for (VolumeProjection p : v.getProjected().getSources()) {
                    ServiceAccountTokenProjection t = p.getServiceAccountToken();
                    if (t != null && t.getExpirationSeconds() == null) {
                        t.setExpirationSeconds(3600L);
                    }
                }
            }
        }
        if (v.getHostPath() != null && v.getHostPath().getType() == null) {
            v.getHostPath().setType(""); // HostPathUnset: no check before mounting
        }
    }

    /** True when the volume names no source at all (only its name), which upstream turns into an emptyDir. */
    private static boolean hasNoSource(Volume v) {
        JsonNode tree = JSON.valueToTree(v);
        for (var it = tree.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("name") && !tree.get(f).isNull()) {
                return false;
            }
        }
        return true;
    }

    private static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }
}
