package dev.skiff.kubelet.pod;

import dev.skiff.kubelet.config.IpLiteral;
import dev.skiff.kubelet.config.NodeLabels;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks upstream's ValidateService (pkg/apis/core/validation) makes on a new v1 Service, for the fields a
 * headless Service's DNS records use: a DNS-1035 name, the selector's labels, the ports (names, numbers,
 * protocols, target ports), type and clusterIP. Run after {@link PodDefaults} (protocol and type set). Errors
 * read as upstream's field errors.
 */
public final class ServiceValidator {
    public static final String HEADLESS = "None";
    private static final String DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private static final Pattern DNS1035_LABEL = Pattern.compile(DNS1035_FMT);
    private static final List<String> PROTOCOLS = List.of("SCTP", "TCP", "UDP");
    private static final List<String> TYPES = List.of("ClusterIP", "ExternalName", "LoadBalancer", "NodePort");
    private static final List<String> AFFINITIES = List.of("ClientIP", "None");

    private ServiceValidator() {}

    /** Every problem with {@code svc}; empty when it is valid. */
    public static List<String> validate(Service svc) {
        List<String> errs = new ArrayList<>(PodValidator.validateIdentity(svc));
        String name = svc.getMetadata() == null ? null : svc.getMetadata().getName();
        if (name != null && !name.isEmpty()) {
            if (name.length() > 63) {
                errs.add(PodValidator.invalid("metadata.name", name, "must be no more than 63 characters"));
            }
            if (!DNS1035_LABEL.matcher(name).matches()) {
                errs.add(PodValidator.invalid("metadata.name", name, "a DNS-1035 label must consist of lower case"
                        + " alphanumeric characters or '-', start with an alphabetic character, and end with an"
                        + " alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '"
                        + DNS1035_FMT + "')"));
            }
        }
        ServiceSpec spec = svc.getSpec();
        if (spec == null) {
            errs.add(PodValidator.required("spec", ""));
            return errs;
        }
        String type = spec.getType();
        if (type != null && !TYPES.contains(type)) {
            errs.add(PodValidator.notSupported("spec.type", type, TYPES));
        }
        String clusterIp = spec.getClusterIP();
        boolean headless = HEADLESS.equals(clusterIp);
        if (clusterIp != null && !clusterIp.isEmpty() && !headless && !IpLiteral.isIP(clusterIp)) {
            errs.add(PodValidator.invalid("spec.clusterIPs[0]", clusterIp, "must be empty, 'None', or a valid IP"
                    + " address"));
        }
        if (headless && type != null && !type.equals("ClusterIP") && !type.equals("ExternalName")) {
            errs.add(PodValidator.invalid("spec.clusterIPs[0]", clusterIp, "may not be set to 'None' for "
                    + type + " services"));
        }
        if ("ExternalName".equals(type)) {
            if (spec.getExternalName() == null || spec.getExternalName().isEmpty()) {
                errs.add(PodValidator.required("spec.externalName", ""));
            }
        } else if (!headless && (spec.getPorts() == null || spec.getPorts().isEmpty())) {
            errs.add(PodValidator.required("spec.ports", ""));
        }
        if (spec.getSessionAffinity() != null && !AFFINITIES.contains(spec.getSessionAffinity())) {
            errs.add(PodValidator.notSupported("spec.sessionAffinity", spec.getSessionAffinity(), AFFINITIES));
        }
        ports(errs, spec.getPorts());
        selector(errs, spec.getSelector());
        return errs;
    }

    /** Whether Skiff serves {@code svc}'s DNS names: a headless ClusterIP Service (the only kind needing no proxy). */
    public static boolean isHeadless(Service svc) {
        ServiceSpec spec = svc.getSpec();
        return spec != null && HEADLESS.equals(spec.getClusterIP())
                && (spec.getType() == null || "ClusterIP".equals(spec.getType()));
    }

    private static void ports(List<String> errs, List<ServicePort> ports) {
        if (ports == null) {
            return;
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < ports.size(); i++) {
            ServicePort p = ports.get(i);
            String path = "spec.ports[" + i + "]";
            String name = p.getName();
            if (name == null || name.isEmpty()) {
                if (ports.size() > 1) {
                    errs.add(PodValidator.required(path + ".name", ""));
                }
            } else if (PodValidator.label(errs, path + ".name", name) && !names.add(name)) {
                errs.add(PodValidator.duplicate(path + ".name", name));
            }
            Integer port = p.getPort();
            if (port == null || port < 1 || port > 65535) {
                errs.add(PodValidator.invalid(path + ".port", port == null ? 0 : port,
                        "must be between 1 and 65535, inclusive"));
            }
            if (p.getProtocol() == null || p.getProtocol().isEmpty()) {
                errs.add(PodValidator.required(path + ".protocol", ""));
            } else if (!PROTOCOLS.contains(p.getProtocol())) {
                errs.add(PodValidator.notSupported(path + ".protocol", p.getProtocol(), PROTOCOLS));
            }
            targetPort(errs, path + ".targetPort", p.getTargetPort());
        }
    }

    private static void targetPort(List<String> errs, String path, IntOrString target) {
        if (target == null) {
            return;
        }
        if (target.getStrVal() != null) {
            List<String> why = PodValidator.portNameErrors(target.getStrVal());
            if (!why.isEmpty()) {
                errs.add(PodValidator.invalid(path, target.getStrVal(), String.join(", ", why)));
            }
        } else if (target.getIntVal() != null && (target.getIntVal() < 1 || target.getIntVal() > 65535)) {
            errs.add(PodValidator.invalid(path, target.getIntVal(), "must be between 1 and 65535, inclusive"));
        }
    }

    private static void selector(List<String> errs, Map<String, String> selector) {
        if (selector == null) {
            return;
        }
        selector.forEach((k, v) -> {
            NodeLabels.keyProblem(k).ifPresent(p -> errs.add(PodValidator.invalid("spec.selector", k, p)));
            NodeLabels.valueProblem(v == null ? "" : v).ifPresent(p -> errs.add(PodValidator.invalid(
                    "spec.selector", v, p)));
        });
    }
}
