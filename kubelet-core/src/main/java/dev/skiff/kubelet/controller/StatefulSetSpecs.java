package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetSpec;

/** A StatefulSet's spec read with upstream's defaults (SetDefaults_StatefulSet) where the file leaves a field out. */
final class StatefulSetSpecs {
    static final String ORDERED_READY = "OrderedReady";
    static final String PARALLEL = "Parallel";
    static final String ROLLING_UPDATE = "RollingUpdate";
    static final String ON_DELETE = "OnDelete";
    static final String RETAIN = "Retain";
    static final String DELETE = "Delete";

    private StatefulSetSpecs() {}

    static int replicas(StatefulSet s) {
        Integer r = s.getSpec().getReplicas();
        return r == null ? 1 : r;
    }

    static int start(StatefulSet s) {
        StatefulSetSpec spec = s.getSpec();
        return spec.getOrdinals() == null || spec.getOrdinals().getStart() == null ? 0 : spec.getOrdinals().getStart();
    }

    static String podManagementPolicy(StatefulSet s) {
        String p = s.getSpec().getPodManagementPolicy();
        return p == null || p.isEmpty() ? ORDERED_READY : p;
    }

    static String updateStrategy(StatefulSet s) {
        var u = s.getSpec().getUpdateStrategy();
        return u == null || u.getType() == null || u.getType().isEmpty() ? ROLLING_UPDATE : u.getType();
    }

    static int partition(StatefulSet s) {
        var u = s.getSpec().getUpdateStrategy();
        if (u == null || u.getRollingUpdate() == null || u.getRollingUpdate().getPartition() == null) {
            return 0;
        }
        return u.getRollingUpdate().getPartition();
    }

    static String whenDeleted(StatefulSet s) {
        var p = s.getSpec().getPersistentVolumeClaimRetentionPolicy();
        return p == null || p.getWhenDeleted() == null || p.getWhenDeleted().isEmpty() ? RETAIN : p.getWhenDeleted();
    }

    static String whenScaled(StatefulSet s) {
        var p = s.getSpec().getPersistentVolumeClaimRetentionPolicy();
        return p == null || p.getWhenScaled() == null || p.getWhenScaled().isEmpty() ? RETAIN : p.getWhenScaled();
    }

    static int revisionHistoryLimit(StatefulSet s) {
        Integer l = s.getSpec().getRevisionHistoryLimit();
        return l == null ? 10 : l;
    }

    static int minReadySeconds(StatefulSet s) {
        Integer m = s.getSpec().getMinReadySeconds();
        return m == null ? 0 : m;
    }
}
