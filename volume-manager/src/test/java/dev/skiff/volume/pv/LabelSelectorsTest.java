package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.skiff.volume.pv.PvFixtures.selector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LabelSelectorsTest {
    private static final Map<String, String> SSD = Map.of("disk", "ssd");
    private static final Map<String, String> NONE = Map.of();

    @Test
    void operators() {
        assertTrue(LabelSelectors.compile(selector("disk", "In", "ssd", "nvme")).test(SSD));
        assertFalse(LabelSelectors.compile(selector("disk", "In", "hdd")).test(SSD));
        assertFalse(LabelSelectors.compile(selector("disk", "In", "ssd")).test(NONE));
        assertFalse(LabelSelectors.compile(selector("disk", "NotIn", "ssd")).test(SSD));
        assertTrue(LabelSelectors.compile(selector("disk", "NotIn", "hdd")).test(SSD));
        assertTrue(LabelSelectors.compile(selector("disk", "NotIn", "ssd")).test(NONE));
        assertTrue(LabelSelectors.compile(selector("disk", "Exists")).test(SSD));
        assertFalse(LabelSelectors.compile(selector("disk", "Exists")).test(NONE));
        assertTrue(LabelSelectors.compile(selector("disk", "DoesNotExist")).test(NONE));
        assertFalse(LabelSelectors.compile(selector("disk", "DoesNotExist")).test(SSD));
        assertTrue(LabelSelectors.compile(null).test(null));
        assertTrue(LabelSelectors.compile(new LabelSelectorBuilder().build()).test(SSD));
        assertFalse(LabelSelectors.compile(new LabelSelectorBuilder().withMatchLabels(SSD).build()).test(null));
    }

    @Test
    void invalidRequirementsAreErrors() {
        assertEquals("\"Near\" is not a valid label selector operator",
                assertThrows(IllegalArgumentException.class,
                        () -> LabelSelectors.compile(selector("k", "Near", "x"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> LabelSelectors.compile(selector("k", "In")));
        assertThrows(IllegalArgumentException.class, () -> LabelSelectors.compile(selector("k", "NotIn")));
        assertThrows(IllegalArgumentException.class, () -> LabelSelectors.compile(selector("k", "Exists", "v")));
        assertThrows(IllegalArgumentException.class, () -> LabelSelectors.compile(selector("", "Exists")));
    }
}
