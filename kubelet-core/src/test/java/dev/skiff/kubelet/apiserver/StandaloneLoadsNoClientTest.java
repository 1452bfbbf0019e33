package dev.skiff.kubelet.apiserver;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RSS is Skiff's weakest figure: a kubelet without {@code --kubeconfig} must not load the Kubernetes client nor this
 * package. Loads (links, verifies and initialises) the kubelet's classes in a fresh class loader that records what it
 * defines, and checks that none of it is the client's.
 */
class StandaloneLoadsNoClientTest {
    @Test
    void linkingTheKubeletAndItsSettingsLoadsNoClientClass() throws Exception {
        Recording loader = new Recording(getClass().getClassLoader());
        for (String name : List.of("dev.skiff.kubelet.Kubelet", "dev.skiff.kubelet.config.KubeletSettings",
                "dev.skiff.kubelet.config.KubeletFlags", "dev.skiff.cli.Main")) {
            Class.forName(name, true, loader);
        }
        assertTrue(loader.defined.contains("dev.skiff.kubelet.Kubelet"), "the loader records what it defines");
        List<String> client = loader.defined.stream().filter(n -> n.startsWith("io.fabric8.kubernetes.client.")
                || n.startsWith("dev.skiff.kubelet.apiserver.")).sorted().toList();
        assertEquals(List.of(), client);
    }

    @Test
    void theRecordingSeesTheClientWhenItIsUsed() throws Exception {
        Recording loader = new Recording(getClass().getClassLoader());
        Class.forName("io.fabric8.kubernetes.client.KubernetesClientBuilder", true, loader);
        assertTrue(loader.defined.contains("io.fabric8.kubernetes.client.KubernetesClientBuilder"));
    }

    /** Child-first for Skiff's and the client's classes, so that linking them here shows what they pull in. */
    private static final class Recording extends ClassLoader {
        final Set<String> defined = ConcurrentHashMap.newKeySet();

        Recording(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("dev.skiff.") && !name.startsWith("io.fabric8.kubernetes.client.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        if (in == null) {
                            throw new ClassNotFoundException(name);
                        }
                        byte[] bytes = in.readAllBytes();
                        c = defineClass(name, bytes, 0, bytes.length);
                        defined.add(name);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }
}
