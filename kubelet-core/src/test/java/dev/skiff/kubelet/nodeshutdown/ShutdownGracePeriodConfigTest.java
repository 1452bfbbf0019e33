package dev.skiff.kubelet.nodeshutdown;

import dev.skiff.kubelet.config.ConfigException;
import dev.skiff.kubelet.config.HostFacts;
import dev.skiff.kubelet.config.KubeletConfiguration;
import dev.skiff.kubelet.config.KubeletConfigurationLoader;
import dev.skiff.kubelet.config.KubeletFlags;
import dev.skiff.kubelet.config.KubeletSettings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** shutdownGracePeriodCriticalPods in the KubeletConfiguration file: decoded, defaulted, validated as upstream. */
class ShutdownGracePeriodConfigTest {
    private static KubeletConfiguration parse(String yaml) throws ConfigException {
        return new KubeletConfigurationLoader().parse(Path.of("/etc/skiff/config.yaml"),
                ("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n" + yaml)
                        .getBytes(StandardCharsets.UTF_8)).configuration();
    }

    private static KubeletSettings resolve(KubeletConfiguration c) throws ConfigException {
        KubeletFlags flags = new KubeletFlags();
        new CommandLine(flags).parseArgs();
        return KubeletSettings.resolve(flags, Optional.of(c), new HostFacts("node-1", "linux", "amd64"));
    }

    @Test
    void decodedAndNotReportedAsIgnored() throws Exception {
        var loaded = new KubeletConfigurationLoader().parse(Path.of("/etc/skiff/config.yaml"),
                "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nshutdownGracePeriod: 30s\nshutdownGracePeriodCriticalPods: 10s\n"
                        .getBytes(StandardCharsets.UTF_8));
        assertEquals(Duration.ofSeconds(30), loaded.configuration().shutdownGracePeriod());
        assertEquals(Duration.ofSeconds(10), loaded.configuration().shutdownGracePeriodCriticalPods());
        assertEquals(0, loaded.ignoredFields().size(), loaded.ignoredFields().toString());
        assertTrue(KubeletConfigurationLoader.supportedFields().contains("shutdownGracePeriodCriticalPods"));
        assertEquals(Duration.ZERO, parse("").shutdownGracePeriodCriticalPods(), "default 0s");
        assertEquals(Duration.ofSeconds(10), resolve(parse("shutdownGracePeriod: 30s\nshutdownGracePeriodCriticalPods: 10s\n"))
                .config().shutdownGracePeriodCriticalPods());
    }

    @Test
    void validatedAsUpstream() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> resolve(parse("shutdownGracePeriod: 10s\nshutdownGracePeriodCriticalPods: 20s\n")));
        assertTrue(e.getMessage().contains("shutdownGracePeriodCriticalPods 20s must be <= shutdownGracePeriod 10s"),
                e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> resolve(parse("shutdownGracePeriod: 10s\nshutdownGracePeriodCriticalPods: 500ms\n")));
        assertTrue(e.getMessage().contains("shutdownGracePeriodCriticalPods 500ms must be either zero or otherwise >= 1s"),
                e.getMessage());
        e = assertThrows(ConfigException.class, () -> resolve(parse("shutdownGracePeriodCriticalPods: -1s\n")));
        assertTrue(e.getMessage().contains("shutdownGracePeriodCriticalPods -1s must be either zero or otherwise >= 1s"),
                e.getMessage());
        e = assertThrows(ConfigException.class, () -> resolve(parse("shutdownGracePeriodCriticalPods: 5s\n")));
        assertTrue(e.getMessage().contains("shutdownGracePeriodCriticalPods 5s must be <= shutdownGracePeriod 0s"),
                e.getMessage());
    }
}
