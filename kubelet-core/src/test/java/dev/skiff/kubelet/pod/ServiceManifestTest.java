package dev.skiff.kubelet.pod;

import io.fabric8.kubernetes.api.model.Service;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** v1 Services in the manifest directory: upstream's defaults and the validation the DNS records depend on. */
class ServiceManifestTest {
    private static final Path FILE = Path.of("/etc/kubernetes/manifests/svc.yaml");
    private final StaticPodLoader loader = new StaticPodLoader("node-1");

    private Service load(String yaml) throws ManifestException {
        Manifest m = loader.load(FILE, yaml.getBytes(StandardCharsets.UTF_8));
        assertFalse(m.pod().isPresent());
        return assertInstanceOf(Service.class, m.objects().get(0));
    }

    private String refused(String yaml) {
        return assertThrows(ManifestException.class, () -> load(yaml)).reason();
    }

    private static String svc(String spec) {
        return "apiVersion: v1\nkind: Service\nmetadata:\n  name: nginx\n  namespace: shop\nspec:\n" + spec;
    }

    @Test
    void headlessServiceWithDefaults() throws Exception {
        Service s = load(svc("""
                  clusterIP: None
                  selector: {app: web}
                  ports:
                  - name: http
                    port: 80
                """));
        assertEquals("ClusterIP", s.getSpec().getType());
        assertEquals("None", s.getSpec().getSessionAffinity());
        assertEquals("TCP", s.getSpec().getPorts().get(0).getProtocol());
        assertEquals(80, s.getSpec().getPorts().get(0).getTargetPort().getIntVal(), "targetPort defaults to port");
        assertTrue(ServiceValidator.isHeadless(s));
    }

    @Test
    void headlessServiceMayHaveNoPorts() throws Exception {
        assertTrue(ServiceValidator.isHeadless(load(svc("  clusterIP: None\n  selector: {app: web}\n"))));
    }

    @Test
    void clusterIpServiceIsAcceptedButNotHeadless() throws Exception {
        Service s = load(svc("  selector: {app: web}\n  ports: [{port: 80}]\n"));
        assertFalse(ServiceValidator.isHeadless(s));
        assertFalse(ServiceValidator.isHeadless(load(svc("  type: NodePort\n  ports: [{port: 80}]\n"))));
    }

    @Test
    void nameMustBeADns1035Label() {
        String why = refused("apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\nspec:\n  clusterIP: None\n");
        assertTrue(why.startsWith("invalid Service: metadata.name: Invalid value: \"1web\": a DNS-1035 label must"),
                why);
        assertTrue(refused("apiVersion: v1\nkind: Service\nmetadata: {name: web.shop}\nspec: {clusterIP: None}\n")
                .contains("metadata.name: Invalid value: \"web.shop\": a DNS-1035 label"));
    }

    @Test
    void portsAreCheckedAsUpstream() {
        assertTrue(refused(svc("  ports: [{port: 80}, {name: b, port: 81}]\n"))
                .contains("spec.ports[0].name: Required value"));
        assertTrue(refused(svc("  ports: [{name: a, port: 80}, {name: a, port: 81}]\n"))
                .contains("spec.ports[1].name: Duplicate value: \"a\""));
        assertTrue(refused(svc("  ports: [{name: Http, port: 80}]\n"))
                .contains("spec.ports[0].name: Invalid value: \"Http\": a lowercase RFC 1123 label"));
        assertTrue(refused(svc("  ports: [{port: 70000}]\n"))
                .contains("spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"));
        assertTrue(refused(svc("  ports: [{port: 80, protocol: ICMP}]\n")).contains(
                "spec.ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\""));
        assertTrue(refused(svc("  ports: [{port: 80, targetPort: web--port}]\n"))
                .contains("spec.ports[0].targetPort: Invalid value: \"web--port\""));
        assertTrue(refused(svc("  selector: {app: web}\n")).contains("spec.ports: Required value"),
                "a ClusterIP Service needs ports; a headless one need not");
    }

    @Test
    void typeClusterIpAndSelectorAreChecked() {
        assertTrue(refused(svc("  type: Magic\n  ports: [{port: 80}]\n")).contains("spec.type: Unsupported value"));
        assertTrue(refused(svc("  type: NodePort\n  clusterIP: None\n  ports: [{port: 80}]\n"))
                .contains("may not be set to 'None' for NodePort services"));
        assertTrue(refused(svc("  clusterIP: ten\n  ports: [{port: 80}]\n"))
                .contains("spec.clusterIPs[0]: Invalid value: \"ten\""));
        assertTrue(refused(svc("  clusterIP: None\n  selector: {\"a/b/c\": x}\n")).contains("spec.selector"));
    }
}
