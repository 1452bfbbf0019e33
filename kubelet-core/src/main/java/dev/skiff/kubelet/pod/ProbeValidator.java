package dev.skiff.kubelet.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ExecAction;
import io.fabric8.kubernetes.api.model.GRPCAction;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.fabric8.kubernetes.api.model.SleepAction;
import io.fabric8.kubernetes.api.model.TCPSocketAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Upstream's probe validation (pkg/apis/core/validation: validateProbe, validateHandler, validateLivenessProbe,
 * validateReadinessProbe, validateStartupProbe), with its field errors, e.g.
 * {@code spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type}.
 * A named port is checked as a name only, as upstream: one the container does not declare fails the probe at run
 * time.
 */
final class ProbeValidator {
    private static final Pattern HTTP_HEADER_NAME = Pattern.compile("[-A-Za-z0-9]+");
    private static final List<String> SCHEMES = List.of("HTTP", "HTTPS");
    private static final String NEGATIVE = "must be greater than or equal to 0";
    private static final String PORT_RANGE = "must be between 1 and 65535, inclusive";

    private ProbeValidator() {
    }

    static void validate(List<String> errs, PodSpec spec) {
        List<Container> inits = spec.getInitContainers() == null ? List.of() : spec.getInitContainers();
        for (int i = 0; i < inits.size(); i++) {
            Container c = inits.get(i);
            String path = "spec.initContainers[" + i + "]";
            if ("Always".equals(c.getRestartPolicy())) {
                probes(errs, path, c); // a sidecar is probed like an app container
                continue;
            }
            for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
                Probe p = switch (probe) {
                    case "livenessProbe" -> c.getLivenessProbe();
                    case "readinessProbe" -> c.getReadinessProbe();
                    default -> c.getStartupProbe();
                };
                if (p != null) {
                    errs.add(forbidden(path + "." + probe, "may not be set for init containers without restartPolicy=Always"));
                }
            }
        }
        List<Container> containers = spec.getContainers() == null ? List.of() : spec.getContainers();
        for (int i = 0; i < containers.size(); i++) {
            probes(errs, "spec.containers[" + i + "]", containers.get(i));
        }
    }

    private static void probes(List<String> errs, String path, Container c) {
        Probe liveness = c.getLivenessProbe();
        if (liveness != null) {
            probe(errs, path + ".livenessProbe", liveness);
            mustBeOne(errs, path + ".livenessProbe", liveness);
        }
        Probe readiness = c.getReadinessProbe();
        if (readiness != null) {
            probe(errs, path + ".readinessProbe", readiness);
            if (readiness.getTerminationGracePeriodSeconds() != null) {
                errs.add(PodValidator.invalid(path + ".readinessProbe.terminationGracePeriodSeconds",
                        readiness.getTerminationGracePeriodSeconds(), "must not be set for readinessProbes"));
            }
        }
        Probe startup = c.getStartupProbe();
        if (startup != null) {
            probe(errs, path + ".startupProbe", startup);
            mustBeOne(errs, path + ".startupProbe", startup);
        }
    }

    private static void mustBeOne(List<String> errs, String path, Probe p) {
        if (p.getSuccessThreshold() != null && p.getSuccessThreshold() != 1) {
            errs.add(PodValidator.invalid(path + ".successThreshold", p.getSuccessThreshold(), "must be 1"));
        }
    }

    /** Upstream validateProbe. */
    private static void probe(List<String> errs, String path, Probe p) {
        handler(errs, path, p.getExec(), p.getHttpGet(), p.getTcpSocket(), p.getGrpc(), null, null);
        nonNegative(errs, path + ".initialDelaySeconds", p.getInitialDelaySeconds());
        nonNegative(errs, path + ".timeoutSeconds", p.getTimeoutSeconds());
        nonNegative(errs, path + ".periodSeconds", p.getPeriodSeconds());
        nonNegative(errs, path + ".successThreshold", p.getSuccessThreshold());
        nonNegative(errs, path + ".failureThreshold", p.getFailureThreshold());
        Long grace = p.getTerminationGracePeriodSeconds();
        if (grace != null && grace <= 0) {
            errs.add(PodValidator.invalid(path + ".terminationGracePeriodSeconds", grace, "must be greater than 0"));
        }
    }

    /**
     * Upstream validateHandler, for a probe's and a lifecycle hook's: exactly one of exec, httpGet, tcpSocket, grpc
     * and sleep (a hook's, at most the pod's grace period {@code grace}).
     */
    static void handler(List<String> errs, String path, ExecAction exec, HTTPGetAction httpGet, TCPSocketAction tcp,
                        GRPCAction grpc, SleepAction sleep, Long grace) {
        int handlers = 0;
        if (exec != null) {
            handlers++;
            if (exec.getCommand() == null || exec.getCommand().isEmpty()) {
                errs.add(PodValidator.required(path + ".exec.command", ""));
            }
        }
        if (httpGet != null) {
            if (handlers++ > 0) {
                errs.add(forbidden(path + ".httpGet", "may not specify more than 1 handler type"));
            } else {
                var g = httpGet;
                if (g.getPath() == null || g.getPath().isEmpty()) {
                    errs.add(PodValidator.required(path + ".httpGet.path", ""));
                }
                port(errs, path + ".httpGet.port", g.getPort());
                if (!SCHEMES.contains(g.getScheme())) {
                    errs.add(PodValidator.notSupported(path + ".httpGet.scheme", String.valueOf(g.getScheme()), SCHEMES));
                }
                for (HTTPHeader h : g.getHttpHeaders() == null ? List.<HTTPHeader>of() : g.getHttpHeaders()) {
                    if (h.getName() == null || !HTTP_HEADER_NAME.matcher(h.getName()).matches()) {
                        errs.add(PodValidator.invalid(path + ".httpGet.httpHeaders", String.valueOf(h.getName()),
                                "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. "
                                        + "'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')"));
                    }
                }
            }
        }
        if (tcp != null) {
            if (handlers++ > 0) {
                errs.add(forbidden(path + ".tcpSocket", "may not specify more than 1 handler type"));
            } else {
                port(errs, path + ".tcpSocket.port", tcp.getPort());
            }
        }
        if (grpc != null) {
            if (handlers++ > 0) {
                errs.add(forbidden(path + ".grpc", "may not specify more than 1 handler type"));
            } else {
                int port = grpc.getPort() == null ? 0 : grpc.getPort();
                if (port < 1 || port > 65535) {
                    errs.add(PodValidator.invalid(path + ".grpc.port", port, PORT_RANGE));
                }
            }
        }
        if (sleep != null) {
            if (handlers++ > 0) {
                errs.add(forbidden(path + ".sleep", "may not specify more than 1 handler type"));
            } else if (grace != null) {
                // upstream validateSleepAction (PodLifecycleSleepActionAllowZero off in 1.32)
                long seconds = sleep.getSeconds() == null ? 0 : sleep.getSeconds();
                if (seconds <= 0 || seconds > grace) {
                    errs.add(PodValidator.invalid(path + ".sleep", seconds,
                            "must be greater than 0 and less than terminationGracePeriodSeconds (" + grace + ")"));
                }
            }
        }
        if (handlers == 0) {
            errs.add(PodValidator.required(path, "must specify a handler type"));
        }
    }

    /** Upstream ValidatePortNumOrName. */
    private static void port(List<String> errs, String path, IntOrString port) {
        if (port == null || (port.getIntVal() == null && port.getStrVal() == null)) {
            errs.add(PodValidator.invalid(path, 0, PORT_RANGE));
        } else if (port.getIntVal() != null) {
            if (port.getIntVal() < 1 || port.getIntVal() > 65535) {
                errs.add(PodValidator.invalid(path, port.getIntVal(), PORT_RANGE));
            }
        } else {
            for (String why : PodValidator.portNameErrors(port.getStrVal())) {
                errs.add(PodValidator.invalid(path, port.getStrVal(), why));
            }
        }
    }

    private static void nonNegative(List<String> errs, String path, Integer value) {
        if (value != null && value < 0) {
            errs.add(PodValidator.invalid(path, value, NEGATIVE));
        }
    }

    static String forbidden(String path, String detail) {
        return path + ": Forbidden: " + detail;
    }
}
