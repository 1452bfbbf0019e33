package dev.skiff.kubelet;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class KubeletTest {
    @Test
    void readOnlyPortBindsLoopbackForWildcardOrUnsetAddress() {
        assertEquals("127.0.0.1", Kubelet.readOnlyBindAddress(null));
        assertEquals("127.0.0.1", Kubelet.readOnlyBindAddress(""));
        assertEquals("127.0.0.1", Kubelet.readOnlyBindAddress("0.0.0.0"));
        assertEquals("127.0.0.1", Kubelet.readOnlyBindAddress("::"));
    }

    @Test
    void readOnlyPortKeepsASpecificAddress() {
        assertEquals("10.0.0.5", Kubelet.readOnlyBindAddress("10.0.0.5"));
        assertEquals("127.0.0.1", Kubelet.readOnlyBindAddress("127.0.0.1"));
        assertEquals("::1", Kubelet.readOnlyBindAddress("::1"));
    }
}
