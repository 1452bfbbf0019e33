package dev.skiff.kubelet.server.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeAuthorizerTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/stats/summary | stats",
            "/stats | stats",
            "/metrics | metrics",
            "/metrics/cadvisor | metrics",
            "/metrics/resource | metrics",
            "/metricsx | proxy",
            "/logs/ | log",
            "/logs/syslog | log",
            "/logs | log",
            "/pods | pods proxy",
            "/runningpods/ | pods proxy",
            "/healthz | healthz proxy",
            "/healthz/syncloop | healthz proxy",
            "/configz | configz proxy",
            "/containerLogs/default/web/app | proxy",
            "/spec/ | proxy",
            "/exec/default/web/app | proxy",
            "/ | proxy",
            "/checkpoint/default/web/app | checkpoint",
    })
    void pathsMapToUpstreamsSubresources(String path, String subresources) {
        assertEquals(Arrays.asList(subresources.split(" ")), NodeAuthorizer.subresources(path));
    }

    @Test
    void verbsAreUpstreamsApiVerbs() {
        assertEquals("get", NodeAuthorizer.verb("GET"));
        assertEquals("create", NodeAuthorizer.verb("POST"));
        assertEquals("update", NodeAuthorizer.verb("PUT"));
        assertEquals("patch", NodeAuthorizer.verb("PATCH"));
        assertEquals("delete", NodeAuthorizer.verb("DELETE"));
        assertEquals("", NodeAuthorizer.verb("HEAD"));
    }

    @Test
    void adminGroupsMayDoEverythingOthersOnlyWhatThePolicyGrants(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("policy.yaml");
        Files.writeString(file, "groups:\n  monitoring: [metrics, stats]\nusers:\n  alice: [log]\n");
        NodeAuthorizer a = new NodeAuthorizer(AuthorizationPolicy.load(Optional.of(file)));
        User admin = new User("root", "0", List.of("system:masters"));
        User apiAdmin = new User("ops", "1", List.of("system:kubelet-api-admin"));
        User prometheus = new User("prometheus", "2", List.of("monitoring", User.AUTHENTICATED));
        User alice = new User("alice", "3", List.of(User.AUTHENTICATED));
        for (String path : List.of("/pods", "/metrics", "/logs/", "/containerLogs/a/b/c", "/configz")) {
            assertEquals(Optional.empty(), a.forbidden(admin, "GET", path), path);
            assertEquals(Optional.empty(), a.forbidden(apiAdmin, "POST", path), path);
        }
        assertEquals(Optional.empty(), a.forbidden(prometheus, "GET", "/metrics/cadvisor"));
        assertEquals(Optional.empty(), a.forbidden(prometheus, "GET", "/stats/summary"));
        assertEquals(Optional.of("Forbidden (user=prometheus, verb=get, resource=nodes, subresource(s)=[pods proxy])\n"),
                a.forbidden(prometheus, "GET", "/pods"));
        assertEquals(Optional.of("Forbidden (user=prometheus, verb=get, resource=nodes, subresource(s)=[log])\n"),
                a.forbidden(prometheus, "GET", "/logs/syslog"));
        assertEquals(Optional.empty(), a.forbidden(alice, "GET", "/logs/syslog"));
        assertEquals(Optional.of("Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource(s)=[metrics])\n"),
                a.forbidden(User.ANONYMOUS, "GET", "/metrics"));
    }

    @Test
    void alwaysAllowAllowsEveryone() {
        NodeAuthorizer a = new NodeAuthorizer(AuthorizationPolicy.alwaysAllow());
        assertEquals(Optional.empty(), a.forbidden(User.ANONYMOUS, "DELETE", "/logs/x"));
    }

    @Test
    void aBadPolicyFileIsAClearError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("policy.yaml");
        Files.writeString(file, "groups:\n  monitoring: [metrix]\n");
        var e = assertThrows(AuthorizationPolicy.PolicyException.class, () -> AuthorizationPolicy.load(Optional.of(file)));
        assertTrue(e.getMessage().contains(file + ": groups.monitoring: \"metrix\" is not a nodes subresource"), e.getMessage());
        Files.writeString(file, "group:\n  monitoring: [metrics]\n");
        e = assertThrows(AuthorizationPolicy.PolicyException.class, () -> AuthorizationPolicy.load(Optional.of(file)));
        assertTrue(e.getMessage().contains("unknown field \"group\""), e.getMessage());
    }
}
