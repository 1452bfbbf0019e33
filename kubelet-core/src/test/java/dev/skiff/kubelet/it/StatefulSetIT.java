package dev.skiff.kubelet.it;

import dev.skiff.kubelet.dns.ClusterDns;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A StatefulSet from the manifest directory on real Docker, real loopback volumes and the embedded DNS: ordered
 * start (web-1 only once web-0 is Ready), {@code web-0.nginx} resolved from web-1, data of web-1 kept through scale
 * 3 → 1 → 3, a rolling update in reverse ordinal order; a set whose selector does not match its template refused
 * with upstream's message while another workload runs.
 */
@Tag("serial") // the embedded DNS binds port 53 on the Docker bridge gateway
class StatefulSetIT extends VolumeItSupport {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String GATEWAY = ClusterDns.bridgeGateway().map(InetAddress::getHostAddress)
            .orElseThrow(() -> new IllegalStateException("no docker0 bridge on this host"));

    @Override
    String[] kubeletArgs() {
        return new String[] {"--embedded-dns=true", "--cluster-dns", GATEWAY};
    }

    private String storageAndService() {
        return """
                apiVersion: storage.k8s.io/v1
                kind: StorageClass
                metadata: {name: loop}
                provisioner: skiff.dev/loopback
                reclaimPolicy: Delete
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: nginx, namespace: %s}
                spec:
                  clusterIP: None
                  selector: {app: h18web}
                  ports: [{name: web, port: 80}]
                """.formatted(ns);
    }

    /** Ready once /www/ready exists: on the claim, so a recreated pod with the same claim is ready at once. */
    private String set(int replicas, String version) {
        return """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: web, namespace: %s}
                spec:
                  serviceName: nginx
                  replicas: %d
                  selector: {matchLabels: {app: h18web}}
                  template:
                    metadata:
                      labels: {app: h18web}
                      annotations: {h18/version: "%s"}
                    spec:
                      terminationGracePeriodSeconds: 1
                      containers:
                      - name: web
                        image: %s
                        imagePullPolicy: IfNotPresent
                        command: [sh, -c, "hostname > /www/index.html; exec httpd -f -p 80 -h /www"]
                        readinessProbe:
                          exec: {command: [test, -f, /www/ready]}
                          periodSeconds: 1
                        volumeMounts: [{name: www, mountPath: /www}]
                  volumeClaimTemplates:
                  - metadata: {name: www}
                    spec:
                      storageClassName: loop
                      accessModes: [ReadWriteOnce]
                      resources: {requests: {storage: 16Mi}}
                """.formatted(ns, replicas, version, image);
    }

    private Optional<Pod> pod(String name) {
        return kubelet.pods().getItems().stream().filter(p -> ns.equals(p.getMetadata().getNamespace())
                && name.equals(p.getMetadata().getName())).findFirst();
    }

    private Pod await(String name, Predicate<Pod> check, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Optional<Pod> last = pod(name);
        while (last.isEmpty() || !check.test(last.get())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("pod " + ns + "/" + name + " not " + what + " within " + WAIT + "; last seen: "
                        + last.map(kubelet::toJson).orElse("<not listed>") + "\n" + kubelet.logTail());
            }
            Thread.sleep(200);
            last = pod(name);
        }
        return last.get();
    }

    private static boolean ready(Pod p) {
        return allRunning(p) && p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static boolean runningNotTerminating(Pod p) {
        return allRunning(p) && p.getMetadata().getDeletionTimestamp() == null;
    }

    private static String revision(Pod p) {
        return p.getMetadata().getLabels().get("controller-revision-hash");
    }

    private void makeReady(String name) throws InterruptedException {
        Pod p = await(name, StatefulSetIT::runningNotTerminating, "Running");
        PodDocker.sh(dockerId(p, "web"), "touch /www/ready");
        await(name, StatefulSetIT::ready, "Ready");
    }

    private void absentFor(String name, Duration d) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            assertTrue(pod(name).isEmpty(), name + " created before its predecessor was Ready");
            Thread.sleep(200);
        }
    }

    private void awaitAbsent(String name) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (pod(name).isPresent()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " still listed after " + WAIT + "\n" + kubelet.logTail());
            }
            Thread.sleep(200);
        }
    }

    @Test
    void orderedStableIdentityStableStorageAndAReverseRollingUpdate() throws Exception {
        kubelet.writeManifest("storage.yaml", storageAndService());
        kubelet.writeManifest("web.yaml", set(3, "1"));

        await("web-0", StatefulSetIT::runningNotTerminating, "Running");
        absentFor("web-1", Duration.ofSeconds(3));
        makeReady("web-0");
        await("web-1", StatefulSetIT::runningNotTerminating, "Running");
        absentFor("web-2", Duration.ofSeconds(2));
        makeReady("web-1");
        makeReady("web-2");
        Pod web0 = pod("web-0").orElseThrow();
        Pod web1 = pod("web-1").orElseThrow();
        assertEquals("web-1", PodDocker.exec(dockerId(web1, "web"), Duration.ofSeconds(20), "hostname").stdout().trim());

        // stable network identity through the headless Service
        String in1 = dockerId(web1, "web");
        String fqdn = "web-0.nginx." + ns + ".svc.cluster.local";
        awaitTrue("web-0.nginx resolves from web-1", WAIT,
                () -> nslookup(in1, fqdn).contains(web0.getStatus().getPodIP()), () -> nslookup(in1, fqdn).toString());

        // stable storage: web-1's data outlives its pod through scale 3 -> 1 -> 3
        PodDocker.sh(in1, "echo written-by-web-1 > /www/data");
        kubelet.writeManifest("web.yaml", set(1, "1"));
        awaitAbsent("web-2");
        awaitAbsent("web-1");
        assertEquals(3, kubelet.persistentVolumeClaims().getItems().stream()
                .filter(c -> ns.equals(c.getMetadata().getNamespace())).count(), "claims are kept on scale-down");
        kubelet.writeManifest("web.yaml", set(3, "1"));
        Pod again = await("web-1", StatefulSetIT::ready, "Ready again (its claim has /www/ready)");
        assertTrue(!again.getMetadata().getUid().equals(web1.getMetadata().getUid()), "a new pod");
        assertEquals("written-by-web-1", PodDocker.exec(dockerId(again, "web"), Duration.ofSeconds(20), "cat",
                "/www/data").stdout().trim());
        await("web-2", StatefulSetIT::ready, "Ready again");

        // rolling update: highest ordinal first, each once the one before is Ready
        String oldRevision = revision(pod("web-0").orElseThrow());
        kubelet.writeManifest("web.yaml", set(3, "2"));
        List<String> order = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.multipliedBy(2).toNanos();
        while (order.size() < 3 && System.nanoTime() < deadline) {
            for (String n : List.of("web-0", "web-1", "web-2")) {
                Optional<Pod> p = pod(n);
                if (p.isPresent() && !order.contains(n) && !oldRevision.equals(revision(p.get()))
                        && p.get().getMetadata().getDeletionTimestamp() == null) {
                    order.add(n);
                }
            }
            Thread.sleep(100);
        }
        assertEquals(List.of("web-2", "web-1", "web-0"), order, kubelet.logTail());
        for (String n : order) {
            await(n, StatefulSetIT::ready, "Ready on the new revision");
        }
    }

    private static List<String> nslookup(String containerId, String name) {
        try {
            String out = PodDocker.exec(containerId, Duration.ofSeconds(20), "nslookup", "-type=a", name).stdout();
            int answers = out.indexOf("Name:");
            return answers < 0 ? List.of() : List.of(out.substring(answers).split("\\s+"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    @Test
    void aSelectorThatDoesNotMatchTheTemplateIsRefusedAndOthersRun() throws Exception {
        kubelet.writeManifest("storage.yaml", storageAndService());
        kubelet.writeManifest("bad.yaml", set(1, "1").replace("name: web,", "name: bad,")
                .replace("matchLabels: {app: h18web}", "matchLabels: {app: other}"));
        kubelet.writeManifest("web.yaml", set(1, "1"));
        makeReady("web-0");
        awaitTrue("the bad set listed at /manifests/errors", WAIT, () -> kubelet.manifestErrors().stream()
                .anyMatch(e -> e.file().endsWith("bad.yaml") && e.reason().contains(
                        "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"h18web\"}: "
                                + "`selector` does not match template `labels`")), () -> kubelet.manifestErrors().toString());
        assertTrue(pod("bad-0").isEmpty());
    }
}
