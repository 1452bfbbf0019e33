package dev.skiff.kubelet.events;

/** Event reasons, upstream's names (pkg/kubelet/events/event.go). */
public final class Reasons {
    // containers
    public static final String CREATED = "Created";
    public static final String STARTED = "Started";
    public static final String FAILED = "Failed";
    public static final String KILLING = "Killing";
    public static final String BACK_OFF = "BackOff";
    // images
    public static final String PULLING = "Pulling";
    public static final String PULLED = "Pulled";
    public static final String INSPECT_FAILED = "InspectFailed";
    public static final String ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull";
    // pods and sandboxes
    public static final String FAILED_MOUNT = "FailedMount";
    public static final String FAILED_CREATE_POD_SANDBOX = "FailedCreatePodSandBox";
    public static final String SANDBOX_CHANGED = "SandboxChanged";
    public static final String FAILED_KILL_POD = "FailedKillPod";
    // probes and hooks
    public static final String UNHEALTHY = "Unhealthy";
    public static final String PROBE_WARNING = "ProbeWarning";
    public static final String FAILED_POST_START_HOOK = "FailedPostStartHook";
    public static final String FAILED_PRE_STOP_HOOK = "FailedPreStopHook";

    private Reasons() {
    }
}
