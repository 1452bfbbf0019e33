package dev.skiff.kubelet.kuberuntime;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.regex.Pattern;

/**
 * A pod's hostname and DNS domain (upstream GeneratePodHostNameAndDomain): spec.hostname or the
 * pod name, cut to 63 characters without a trailing '-' or '.'; the domain
 * {@code <subdomain>.<ns>.svc.<clusterDomain>} when spec.subdomain is set, "" otherwise.
 */
public record PodHostname(String hostname, String domain) {
    static final int HOSTNAME_MAX_LEN = 63;
    static final int FQDN_MAX_LEN = 64;
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    public static PodHostname of(Pod pod, String clusterDomain) throws CreateConfigException {
        String name = pod.getMetadata().getName();
        String hostname = name;
        String specHostname = pod.getSpec().getHostname();
        if (specHostname != null && !specHostname.isEmpty()) {
            if (!isDns1123Label(specHostname)) {
                throw new CreateConfigException("pod Hostname \"" + specHostname + "\" is not a valid DNS label");
            }
            hostname = specHostname;
        }
        if (hostname.length() > HOSTNAME_MAX_LEN) {
            String cut = hostname.substring(0, HOSTNAME_MAX_LEN).replaceAll("[-.]+$", "");
            if (cut.isEmpty()) {
                throw new CreateConfigException("hostname for pod \"" + name + "\" was invalid: \"" + hostname + "\"");
            }
            hostname = cut;
        }
        String domain = "";
        String subdomain = pod.getSpec().getSubdomain();
        if (subdomain != null && !subdomain.isEmpty()) {
            if (!isDns1123Label(subdomain)) {
                throw new CreateConfigException("pod Subdomain \"" + subdomain + "\" is not a valid DNS label");
            }
            domain = subdomain + "." + pod.getMetadata().getNamespace() + ".svc." + clusterDomain;
        }
        return new PodHostname(hostname, domain);
    }

    /** The kernel nodename (upstream GetNodenameForKernel): the FQDN when setHostnameAsFQDN and a domain exist. */
    public String kernelHostname(Boolean setHostnameAsFqdn) throws CreateConfigException {
        if (!domain.isEmpty() && Boolean.TRUE.equals(setHostnameAsFqdn)) {
            String fqdn = hostname + "." + domain;
            if (fqdn.length() > FQDN_MAX_LEN) {
                throw new CreateConfigException("failed to construct FQDN from pod hostname and cluster domain, FQDN "
                        + fqdn + " is too long (" + FQDN_MAX_LEN + " characters is the max, " + fqdn.length()
                        + " characters requested)");
            }
            return fqdn;
        }
        return hostname;
    }

    static boolean isDns1123Label(String s) {
        return s.length() <= 63 && DNS1123_LABEL.matcher(s).matches();
    }
}
