package dev.skiff.kubelet.it;

import dev.skiff.kubelet.config.HostFacts;
import dev.skiff.kubelet.config.KubeletConfiguration;
import dev.skiff.kubelet.config.KubeletConfigurationLoader;
import dev.skiff.kubelet.config.KubeletFlags;
import dev.skiff.kubelet.config.KubeletSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code make install} and {@code make uninstall} into a temporary DESTDIR: every file with its mode, the installed
 * launcher running the installed jar, the default config loading through the real loader, the unit passing
 * {@code systemd-analyze verify}, and uninstall removing exactly what install put there (never pods' state, logs,
 * manifests or an edited config).
 */
class InstallIT {
    /** failsafe runs in kubelet-core; the Makefile is one level up. */
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration MAKE_TIMEOUT = Duration.ofMinutes(2);
    private static final String FILE = "rw-r--r--";
    private static final String EXEC = "rwxr-xr-x";
    private static final String MANIFESTS = "/etc/kubernetes/manifests";

    @TempDir
    Path destdir;

    @Test
    void installsEveryFileWithItsMode() throws Exception {
        String out = make("install");
        assertTrue(out.contains("systemctl enable --now skiff") && out.contains("journalctl -u skiff"),
                "install tells the next step:\n" + out);

        Path jar = at("/usr/lib/skiff/skiff.jar");
        assertMode(FILE, jar);
        assertMode(EXEC, at("/usr/bin/skiff"));
        assertMode(FILE, at("/etc/systemd/system/skiff.service"));
        assertMode(FILE, at("/etc/skiff/config.yaml"));
        assertMode(FILE, at("/etc/skiff/skiff.env"));
        assertMode(EXEC, at(MANIFESTS));
        assertTrue(Files.isDirectory(at(MANIFESTS)));
        assertEquals(-1, Files.mismatch(REPO.resolve("systemd/config.yaml"), at("/etc/skiff/config.yaml")));
        assertEquals(-1, Files.mismatch(REPO.resolve("systemd/skiff.env"), at("/etc/skiff/skiff.env")));
        assertEquals(-1, Files.mismatch(REPO.resolve("kubelet-core/target/skiff.jar"), jar));

        // every jar of skiff.jar's Class-Path, and nothing else
        List<String> classPath;
        try (JarFile j = new JarFile(jar.toFile())) {
            classPath = List.of(j.getManifest().getMainAttributes().getValue("Class-Path").split(" "));
        }
        assertFalse(classPath.isEmpty());
        for (String entry : classPath) {
            assertMode(FILE, jar.resolveSibling(entry));
        }
        try (Stream<Path> libs = Files.list(at("/usr/lib/skiff/lib"))) {
            assertEquals(classPath.stream().sorted().toList(),
                    libs.map(p -> "lib/" + p.getFileName()).sorted().toList());
        }

        String unit = Files.readString(at("/etc/systemd/system/skiff.service"));
        for (String line : List.of("Type=notify", "NotifyAccess=main", "KillMode=process", "Delegate=yes",
                "Restart=always", "EnvironmentFile=-/etc/skiff/skiff.env",
                "ExecStart=/usr/bin/skiff --config /etc/skiff/config.yaml $SKIFF_ARGS", "WantedBy=multi-user.target")) {
            assertTrue(unit.lines().anyMatch(line::equals), "skiff.service lacks " + line + "\n" + unit);
        }
        // what systemd's EnvironmentFile parser needs: assignments and comments only
        for (String line : Files.readAllLines(at("/etc/skiff/skiff.env"))) {
            assertTrue(line.isBlank() || line.startsWith("#") || line.matches("[A-Z_][A-Z0-9_]*=.*"),
                    "skiff.env: not an assignment: " + line);
        }
        assertTrue(Files.readAllLines(at("/etc/skiff/skiff.env")).contains("SKIFF_ARGS="));
    }

    @Test
    void installedLauncherRunsTheInstalledJar() throws Exception {
        make("install");
        // no SKIFF_JAR, run from outside any checkout: only $PREFIX/lib/skiff/skiff.jar can be found
        Result version = run(List.of(at("/usr/bin/skiff").toString(), "--version"), Map.of());
        assertEquals(0, version.exit(), version.output());
        assertTrue(version.output().strip().matches("skiff \\S+"), version.output());

        // through a symlink (e.g. /usr/local/bin/skiff -> /usr/bin/skiff) it still finds its jar
        Path link = Files.createSymbolicLink(destdir.resolve("skiff-link"), at("/usr/bin/skiff"));
        Result viaLink = run(List.of(link.toString(), "--version"), Map.of());
        assertEquals(0, viaLink.exit(), viaLink.output());

        // SKIFF_JAR still wins
        Result missing = run(List.of(at("/usr/bin/skiff").toString(), "--version"),
                Map.of("SKIFF_JAR", destdir.resolve("none.jar").toString()));
        assertEquals(1, missing.exit(), missing.output());
        assertTrue(missing.output().contains("none.jar not found"), missing.output());
    }

    @Test
    void defaultConfigLoadsAndListsEveryHonouredFieldAtItsDefault() throws Exception {
        make("install");
        Path config = at("/etc/skiff/config.yaml");
        KubeletConfiguration expected = KubeletConfiguration.defaults().toBuilder().staticPodPath(MANIFESTS).build();

        KubeletConfigurationLoader loader = new KubeletConfigurationLoader();
        KubeletConfigurationLoader.Loaded loaded = loader.load(config);
        assertEquals(List.of(), loaded.ignoredFields(), "the default config sets only fields Skiff honours");
        assertEquals(expected, loaded.configuration());

        // as the service starts it: --config, everything else defaulted
        KubeletFlags flags = new KubeletFlags();
        new CommandLine(flags).parseArgs("--config", config.toString());
        KubeletSettings settings = KubeletSettings.load(flags, HostFacts.current(), loader);
        assertEquals(Optional.of(Path.of(MANIFESTS)), settings.staticPodPath());
        assertEquals(KubeletSettings.DEFAULT_ROOT_DIR, settings.rootDir());

        // every commented-out "#field: value" line, uncommented, is accepted and is the default
        String text = Files.readString(config);
        Pattern setting = Pattern.compile("(?m)^#([A-Za-z]+):");
        List<String> commented = new ArrayList<>();
        Matcher m = setting.matcher(text);
        while (m.find()) {
            commented.add(m.group(1));
        }
        String uncommented = setting.matcher(text).replaceAll("$1:");
        KubeletConfigurationLoader.Loaded all = loader.parse(config, uncommented.getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(), all.ignoredFields());
        assertEquals(expected, all.configuration(), "a commented value is not the default");

        List<String> listed = new ArrayList<>(commented);
        listed.add("staticPodPath");
        List<String> missing = KubeletConfigurationLoader.supportedFields().stream()
                .filter(f -> !listed.contains(f)).sorted().toList();
        assertEquals(List.of(), missing, "fields Skiff honours that config.yaml does not mention");
    }

    @Test
    void unitPassesSystemdAnalyzeVerify() throws Exception {
        Optional<Path> analyze = Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze").map(Path::of)
                .filter(Files::isExecutable).findFirst();
        assertTrue(analyze.isPresent(), "systemd-analyze is not installed: hack/install-host-deps.sh installs systemd");
        make("install");
        // verify insists that ExecStart names an existing executable: a copy points at the one in DESTDIR
        // (--root=DESTDIR would not do: it then also looks for sysinit.target & co under DESTDIR)
        String unit = Files.readString(at("/etc/systemd/system/skiff.service"));
        String copy = unit.replace("ExecStart=/usr/bin/skiff ", "ExecStart=" + at("/usr/bin/skiff") + " ");
        assertFalse(copy.equals(unit), "ExecStart=/usr/bin/skiff not found in the unit");
        List<String> problems = verify(analyze.get(), "verify", copy);
        assertEquals(List.of(), problems, "systemd-analyze verify on skiff.service");

        // the check can fail: a misspelt key and a bad value are reported
        List<String> broken = verify(analyze.get(), "broken", copy.replace("KillMode=process", "KillMode=proces")
                .replace("WatchdogSec=", "WatchdogSecs="));
        assertEquals(2, broken.size(), "verify of a broken unit: " + broken);
    }

    @Test
    void uninstallRemovesWhatInstallPutThereAndNothingElse() throws Exception {
        make("install");
        List<Path> planted = plantPodState();

        String out = make("uninstall");
        for (String p : List.of("/usr/lib/skiff", "/usr/bin/skiff", "/etc/systemd/system/skiff.service",
                "/etc/skiff")) {
            assertFalse(Files.exists(at(p)), p + " left behind\n" + out);
        }
        for (Path p : planted) {
            assertTrue(Files.isRegularFile(p), p + " removed\n" + out);
        }
        assertTrue(Files.isDirectory(at(MANIFESTS)), "the manifests dir (with a manifest) removed");
        assertTrue(out.contains("kept " + at(MANIFESTS)), out);
        assertTrue(out.contains("running pods"), out);
        make("uninstall"); // twice is fine
    }

    @Test
    void installThenUninstallLeavesNoFile() throws Exception {
        make("install");
        make("uninstall");
        try (Stream<Path> left = Files.walk(destdir)) {
            assertEquals(List.of(), left.filter(p -> !Files.isDirectory(p)).toList(), "install + uninstall leaves files");
        }
        assertFalse(Files.exists(at(MANIFESTS)), "the empty manifests dir stays");
    }

    @Test
    void anEditedConfigIsKeptByReinstallAndUninstall() throws Exception {
        make("install");
        Path config = at("/etc/skiff/config.yaml");
        String edited = Files.readString(config).replace("#maxPods: 110", "maxPods: 20");
        Files.writeString(config, edited);

        String out = make("install");
        assertEquals(edited, Files.readString(config), "reinstall overwrote an edited config");
        Path dflt = at("/etc/skiff/config.yaml.default");
        assertEquals(-1, Files.mismatch(REPO.resolve("systemd/config.yaml"), dflt), "new default not beside it");
        assertTrue(out.contains("kept " + config) && out.contains(dflt.toString()), out);
        assertEquals(20, new KubeletConfigurationLoader().load(config).configuration().maxPods());

        out = make("uninstall");
        assertEquals(edited, Files.readString(config), "uninstall removed an edited config");
        assertFalse(Files.exists(dflt));
        assertTrue(out.contains("kept " + config), out);
        assertFalse(Files.exists(at("/etc/skiff/skiff.env")), "the unedited env file stays");
    }

    @Test
    void anUneditedPreviousDefaultIsReplacedByTheNewOne() throws Exception {
        make("install");
        // as if an older version had installed another default: its file and its recorded checksum
        Path config = at("/etc/skiff/config.yaml");
        String older = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n# older default\n";
        Files.writeString(config, older);
        Path sums = at("/usr/lib/skiff/conffiles.sha256");
        String recorded = Files.readAllLines(sums).stream()
                .map(l -> l.endsWith(" /etc/skiff/config.yaml") ? sha256(older) + " /etc/skiff/config.yaml" : l)
                .collect(Collectors.joining("\n", "", "\n"));
        Files.writeString(sums, recorded);

        String out = make("install");
        assertEquals(-1, Files.mismatch(REPO.resolve("systemd/config.yaml"), config), out);
        assertFalse(Files.exists(at("/etc/skiff/config.yaml.default")));
        assertTrue(out.contains("updated " + config), out);
    }

    // --- helpers

    private Path at(String path) {
        return Path.of(destdir + path);
    }

    private List<Path> plantPodState() throws IOException {
        List<Path> planted = new ArrayList<>();
        for (String p : List.of("/var/lib/kubelet/pods/0f6c/etc-hosts", "/var/lib/kubelet/storage/pv.json",
                "/var/log/pods/default_web_0f6c/web/0.log", MANIFESTS + "/web.yaml")) {
            Path f = at(p);
            Files.createDirectories(f.getParent());
            Files.writeString(f, "planted\n");
            planted.add(f);
        }
        return planted;
    }

    private static void assertMode(String expected, Path p) throws IOException {
        assertTrue(Files.exists(p), p + " not installed");
        assertEquals(expected, PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
    }

    /** Runs systemd-analyze verify on {@code unit} saved as skiff.service; returns its lines about that file. */
    private List<String> verify(Path analyze, String dirName, String unit) throws Exception {
        Path dir = Files.createDirectories(destdir.resolve(dirName));
        Path file = dir.resolve("skiff.service");
        Files.writeString(file, unit);
        Result r = run(List.of(analyze.toString(), "verify", "--man=no", file.toString()), Map.of());
        List<String> about = r.output().lines().filter(l -> l.contains(file.toString()) || l.contains("skiff"))
                .toList();
        if (r.exit() != 0 && about.isEmpty()) {
            return List.of("exit " + r.exit() + ": " + r.output());
        }
        return about;
    }

    private String make(String target) throws Exception {
        Result r = run(List.of("make", "-C", REPO.toString(), target, "INSTALL_BUILD=", "DESTDIR=" + destdir,
                "PREFIX=/usr"), Map.of());
        assertEquals(0, r.exit(), "make " + target + ":\n" + r.output());
        return r.output();
    }

    private record Result(int exit, String output) {
    }

    private Result run(List<String> cmd, Map<String, String> env) throws Exception {
        Path log = Files.createTempFile("skiff-install-it-", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(destdir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().remove("SKIFF_JAR");
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(MAKE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(cmd + " did not finish within " + MAKE_TIMEOUT + ":\n" + Files.readString(log));
            }
            return new Result(p.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
