package dev.skiff.cli.describe;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PodDescriberTest {
    private static final Instant NOW = Instant.parse("2026-12-07T10:10:00Z");

    static final String POD = """
            {"apiVersion":"v1","kind":"Pod",
             "metadata":{"name":"web-node1","namespace":"default","uid":"u1","labels":{"app":"web","tier":"front"},
               "annotations":{"kubernetes.io/config.source":"file","kubernetes.io/config.hash":"abc"}},
             "spec":{"nodeName":"node1","priority":0,"containers":[
               {"name":"httpd","image":"skiff-test/busybox:1","command":["sh","-c","exec httpd -f -p 8080"],
                "ports":[{"containerPort":8080,"protocol":"TCP","hostPort":18080}],
                "livenessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},"timeoutSeconds":1,
                  "periodSeconds":10,"successThreshold":1,"failureThreshold":3},
                "readinessProbe":{"exec":{"command":["cat","/tmp/ready"]},"initialDelaySeconds":5,"timeoutSeconds":1,
                  "periodSeconds":5,"successThreshold":1,"failureThreshold":3},
                "env":[{"name":"GREETING","value":"hello"},
                       {"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}}],
                "volumeMounts":[{"name":"config","mountPath":"/etc/app","readOnly":true},
                                {"name":"scratch","mountPath":"/scratch"}]}],
               "volumes":[{"name":"config","configMap":{"name":"web-config"}},{"name":"scratch","emptyDir":{}}]},
             "status":{"phase":"Running","hostIP":"10.0.0.5","podIP":"172.17.0.3","podIPs":[{"ip":"172.17.0.3"}],
               "startTime":"2026-12-07T10:00:00Z","qosClass":"BestEffort",
               "conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":"False"},
                 {"type":"ContainersReady","status":"False"},{"type":"PodScheduled","status":"True"}],
               "containerStatuses":[{"name":"httpd","ready":false,"restartCount":2,"image":"skiff-test/busybox:1",
                 "imageID":"docker://sha256:1234","containerID":"docker://abcdef",
                 "state":{"running":{"startedAt":"2026-12-07T10:08:00Z"}},
                 "lastState":{"terminated":{"exitCode":137,"reason":"Error","message":"Liveness probe failed",
                   "startedAt":"2026-12-07T10:05:00Z","finishedAt":"2026-12-07T10:07:59Z"}}}]}}
            """;

    private static Pod pod() throws Exception {
        return new ObjectMapper().readValue(POD, Pod.class);
    }

    private static Event event(String type, String reason, String message, int count, String first, String last) {
        return new EventBuilder().withType(type).withReason(reason).withMessage(message).withCount(count)
                .withFirstTimestamp(first).withLastTimestamp(last).withNewSource().withComponent("kubelet").endSource()
                .build();
    }

    @Test
    void describesAsKubectlDoes() throws Exception {
        String out = PodDescriber.describe(pod(), List.of(
                event("Warning", "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500", 6,
                        "2026-12-07T10:05:00Z", "2026-12-07T10:08:00Z"),
                event("Normal", "Pulled", "Container image \"skiff-test/busybox:1\" already present on machine", 1,
                        "2026-12-07T10:00:00Z", "2026-12-07T10:00:00Z")), NOW, ZoneOffset.UTC);
        assertEquals("""
                Name:         web-node1
                Namespace:    default
                Priority:     0
                Node:         node1/10.0.0.5
                Start Time:   Mon, 07 Dec 2026 10:00:00 +0000
                Labels:       app=web
                              tier=front
                Annotations:  kubernetes.io/config.hash: abc
                              kubernetes.io/config.source: file
                Status:       Running
                IP:           172.17.0.3
                IPs:
                  IP:  172.17.0.3
                Containers:
                  httpd:
                    Container ID:  docker://abcdef
                    Image:         skiff-test/busybox:1
                    Image ID:      docker://sha256:1234
                    Port:          8080/TCP
                    Host Port:     18080/TCP
                    Command:
                      sh
                      -c
                      exec httpd -f -p 8080
                    State:          Running
                      Started:      Mon, 07 Dec 2026 10:08:00 +0000
                    Last State:     Terminated
                      Reason:       Error
                      Message:      Liveness probe failed
                      Exit Code:    137
                      Started:      Mon, 07 Dec 2026 10:05:00 +0000
                      Finished:     Mon, 07 Dec 2026 10:07:59 +0000
                    Ready:          False
                    Restart Count:  2
                    Liveness:       http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3
                    Readiness:      exec [cat /tmp/ready] delay=5s timeout=1s period=5s #success=1 #failure=3
                    Environment:
                      GREETING:  hello
                      POD_NAME:  web-node1 (v1:metadata.name)
                    Mounts:
                      /etc/app from config (ro)
                      /scratch from scratch (rw)
                Conditions:
                  Type              Status
                  Initialized       True\s
                  Ready             False\s
                  ContainersReady   False\s
                  PodScheduled      True\s
                Volumes:
                  config:
                    Type:      ConfigMap (a volume populated by a ConfigMap)
                    Name:      web-config
                    Optional:  false
                  scratch:
                    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)
                    Medium:\s\s\s\s\s\s
                    SizeLimit:   <unset>
                QoS Class:       BestEffort
                Node-Selectors:  <none>
                Tolerations:     <none>
                Events:
                  Type     Reason     Age              From     Message
                  ----     ------     ----             ----     -------
                  Normal   Pulled     10m              kubelet  Container image "skiff-test/busybox:1" already present on machine
                  Warning  Unhealthy  2m (x6 over 5m)  kubelet  Liveness probe failed: HTTP probe failed with statuscode: 500
                """, out);
    }

    @Test
    void terminatingAndNoEvents() throws Exception {
        Pod p = pod();
        p.getMetadata().setDeletionTimestamp("2026-12-07T10:10:20Z");
        p.getMetadata().setDeletionGracePeriodSeconds(30L);
        String out = PodDescriber.describe(p, List.of(), NOW, ZoneOffset.UTC);
        assertTrue(out.contains("Status:                    Terminating (lasts 10s)\n"), out);
        assertTrue(out.contains("Termination Grace Period:  30s\n"), out);
        assertTrue(out.endsWith("Tolerations:     <none>\nEvents:          <none>\n"), out);
    }
}
