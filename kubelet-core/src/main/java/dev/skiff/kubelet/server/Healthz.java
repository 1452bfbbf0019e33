package dev.skiff.kubelet.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code /healthz} and its named checks. {@code /healthz} runs every check: 200 {@code ok}, or 500 listing each
 * failing one as {@code [-]<message>} and a last line {@code healthz check failed}. {@code /healthz/<name>} runs one,
 * as upstream's healthz handlers: 200 {@code ok}, or 500 {@code internal server error: <message>}. {@code ping} and
 * {@code log} always pass, as upstream's PingHealthz and LogHealthz.
 */
public final class Healthz {
    private static final Logger log = LoggerFactory.getLogger(Healthz.class);
    private final List<Supplier<Optional<String>>> checks;
    private final Map<String, Supplier<Optional<String>>> named = new LinkedHashMap<>();

    /** @param checks what {@code /healthz} runs: each gives empty when healthy, else what is wrong */
    public Healthz(List<Supplier<Optional<String>>> checks) {
        this.checks = List.copyOf(checks);
        named.put("ping", Optional::empty);
        named.put("log", Optional::empty);
    }

    /** Adds {@code /healthz/<name>}. */
    public Healthz with(String name, Supplier<Optional<String>> check) {
        named.put(name, check);
        return this;
    }

    /** The routes: {@code /healthz} and one per named check. */
    public List<Route> routes() {
        List<Route> out = new ArrayList<>();
        out.add(Route.get("/healthz", Route.Kind.DEFAULT, (req, res) -> all(res)));
        named.forEach((name, check) -> out.add(Route.get("/healthz/" + name, Route.Kind.DEFAULT, (req, res) -> {
            Optional<String> failing = run(check);
            if (failing.isEmpty()) {
                res.text(200, "ok");
            } else {
                log.warn("healthz check {} failing: {}", name, failing.get());
                res.text(500, "internal server error: " + failing.get() + "\n");
            }
        })));
        return out;
    }

    private void all(Response res) {
        List<String> failing = new ArrayList<>();
        for (Supplier<Optional<String>> check : checks) {
            run(check).ifPresent(failing::add);
        }
        if (failing.isEmpty()) {
            res.text(200, "ok");
            return;
        }
        StringBuilder b = new StringBuilder();
        failing.forEach(f -> b.append("[-]").append(f).append('\n'));
        b.append("healthz check failed\n");
        log.warn("healthz failing: {}", String.join("; ", failing));
        res.text(500, b.toString());
    }

    private static Optional<String> run(Supplier<Optional<String>> check) {
        try {
            return check.get();
        } catch (RuntimeException e) {
            return Optional.of("check threw " + e);
        }
    }
}
