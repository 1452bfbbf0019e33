package dev.skiff.cri.docker;

import com.github.dockerjava.api.model.Capability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The capabilities this host lets a container runtime grant: the kernel's capabilities
 * ({@code /proc/sys/kernel/cap_last_cap}) and the bounding set the runtime runs under
 * ({@code CapBnd} of {@code /proc/self/status}). Some VMs and containers withhold a few
 * (here CAP_SYS_RESOURCE); Docker's {@code privileged} and {@code cap-add ALL} then fail to start.
 *
 * @param known what the kernel knows, in bit order
 * @param held  what the bounding set keeps of them
 */
public record HostCapabilities(Set<Capability> known, Set<Capability> held) {
    private static final Logger log = LoggerFactory.getLogger(HostCapabilities.class);

    /** Capabilities by their bit number (linux/capability.h). */
    static final List<Capability> BY_BIT = List.of(
            Capability.CHOWN, Capability.DAC_OVERRIDE, Capability.DAC_READ_SEARCH, Capability.FOWNER, Capability.FSETID,
            Capability.KILL, Capability.SETGID, Capability.SETUID, Capability.SETPCAP, Capability.LINUX_IMMUTABLE,
            Capability.NET_BIND_SERVICE, Capability.NET_BROADCAST, Capability.NET_ADMIN, Capability.NET_RAW,
            Capability.IPC_LOCK, Capability.IPC_OWNER, Capability.SYS_MODULE, Capability.SYS_RAWIO, Capability.SYS_CHROOT,
            Capability.SYS_PTRACE, Capability.SYS_PACCT, Capability.SYS_ADMIN, Capability.SYS_BOOT, Capability.SYS_NICE,
            Capability.SYS_RESOURCE, Capability.SYS_TIME, Capability.SYS_TTY_CONFIG, Capability.MKNOD, Capability.LEASE,
            Capability.AUDIT_WRITE, Capability.AUDIT_CONTROL, Capability.SETFCAP, Capability.MAC_OVERRIDE,
            Capability.MAC_ADMIN, Capability.SYSLOG, Capability.WAKE_ALARM, Capability.BLOCK_SUSPEND, Capability.AUDIT_READ,
            Capability.PERFMON, Capability.BPF, Capability.CHECKPOINT_RESTORE);

    public HostCapabilities {
        known = known.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(known));
        held = held.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(held));
    }

    /**
     * The shim's own bounding set: Docker, not the shim, starts containers, but both run on this host
     * under the same bounding set, and the shim may run without Docker's privileges (its effective set says less).
     */
    public static HostCapabilities fromProc() {
        String status;
        int lastCap;
        try {
            status = readProc(Path.of("/proc/self/status"));
            lastCap = Integer.parseInt(readProc(Path.of("/proc/sys/kernel/cap_last_cap")).trim());
        } catch (IOException | NumberFormatException e) {
            log.warn("cannot read the runtime's capabilities ({}); assuming the host withholds none", e.toString());
            return new HostCapabilities(Set.copyOf(BY_BIT), Set.copyOf(BY_BIT));
        }
        return parse(status, lastCap);
    }

    /**
     * Reads to the end: procfs reports size 0, and Files.readString then stops short
     * (it read "4" of cap_last_cap's "40").
     */
    private static String readProc(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** From the text of a {@code /proc/<pid>/status} and the kernel's last capability number. */
    static HostCapabilities parse(String procStatus, int lastCap) {
        long bounding = -1L;
        for (String line : procStatus.split("\n")) {
            if (line.startsWith("CapBnd:")) {
                bounding = Long.parseUnsignedLong(line.substring("CapBnd:".length()).trim(), 16);
            }
        }
        Set<Capability> known = EnumSet.noneOf(Capability.class);
        Set<Capability> held = EnumSet.noneOf(Capability.class);
        for (int bit = 0; bit <= Math.min(lastCap, BY_BIT.size() - 1); bit++) {
            known.add(BY_BIT.get(bit));
            if ((bounding & (1L << bit)) != 0) {
                held.add(BY_BIT.get(bit));
            }
        }
        return new HostCapabilities(known, held);
    }

    /** The capabilities the kernel knows but the bounding set withholds, in bit order. */
    public List<Capability> withheld() {
        return inBitOrder(known.stream().filter(c -> !held.contains(c)).toList());
    }

    /**
     * What Docker must be told to drop from its ALL: the withheld ones every Docker can name (through
     * CAP_AUDIT_READ). Docker refuses a name it does not know ("unknown capability"), and Debian's
     * Docker 20.10 does not know PERFMON, BPF or CHECKPOINT_RESTORE, so it never grants them either.
     */
    public List<Capability> withheldDockerNames() {
        return withheld().stream().filter(c -> BY_BIT.indexOf(c) <= BY_BIT.indexOf(Capability.AUDIT_READ)).toList();
    }

    /** The capabilities the runtime holds, in bit order. */
    public List<Capability> heldInOrder() {
        return inBitOrder(held);
    }

    public boolean holds(Capability c) {
        return held.contains(c) || !known.contains(c); // one the kernel does not know is Docker's to refuse
    }

    private static List<Capability> inBitOrder(java.util.Collection<Capability> caps) {
        List<Capability> out = new ArrayList<>();
        for (Capability c : BY_BIT) {
            if (caps.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }
}
