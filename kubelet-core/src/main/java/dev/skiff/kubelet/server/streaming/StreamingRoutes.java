package dev.skiff.kubelet.server.streaming;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.AttachRequest;
import dev.skiff.cri.v1.ExecRequest;
import dev.skiff.cri.v1.ExecSyncRequest;
import dev.skiff.cri.v1.ExecSyncResponse;
import dev.skiff.cri.v1.PortForwardRequest;
import dev.skiff.kubelet.server.Endpoint;
import dev.skiff.kubelet.server.Request;
import dev.skiff.kubelet.server.Response;
import dev.skiff.kubelet.server.Route;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Upstream's streaming endpoints of the secure port (DEBUGGING routes, authorized as {@code nodes/proxy}):
 * {@code /exec} and {@code /attach} ({@code /{podNamespace}/{podID}[/{uid}]/{containerName}}, GET and POST),
 * {@code /portForward/{podNamespace}/{podID}[/{uid}]} (GET and POST) and {@code /run/…} (POST). The first three ask
 * the CRI runtime for a streaming URL and proxy the client's upgrade to it ({@link UpgradeProxy}), so they work with
 * the in-process shim and a remote runtime alike; {@code /run} runs the command with ExecSync and answers its output.
 */
public final class StreamingRoutes {
    private static final Logger log = LoggerFactory.getLogger(StreamingRoutes.class);
    private static final Set<String> GET_POST = Set.of("GET", "POST");

    private final Supplier<Optional<RuntimeService>> runtime;
    private final StreamTargets targets;

    /** @param runtime empty until the container runtime answered */
    public StreamingRoutes(Supplier<Optional<RuntimeService>> runtime, StreamTargets targets) {
        this.runtime = runtime;
        this.targets = targets;
    }

    public List<Route> routes() {
        List<Route> out = new ArrayList<>();
        for (String tail : List.of("/{podNamespace}/{podID}/{containerName}", "/{podNamespace}/{podID}/{uid}/{containerName}")) {
            out.add(new Route("/exec" + tail, Route.Kind.DEBUGGING, GET_POST, this::exec));
            out.add(new Route("/attach" + tail, Route.Kind.DEBUGGING, GET_POST, this::attach));
            out.add(new Route("/run" + tail, Route.Kind.DEBUGGING, Set.of("POST"), this::run));
        }
        for (String tail : List.of("/{podNamespace}/{podID}", "/{podNamespace}/{podID}/{uid}")) {
            out.add(new Route("/portForward" + tail, Route.Kind.DEBUGGING, GET_POST, this::portForward));
        }
        return out;
    }

    private void exec(Request req, Response res) throws Exception {
        StreamOptions o = StreamOptions.of(req.query());
        StreamTargets.Target t = container(req);
        requireUpgrade(req);
        ExecRequest cri = ExecRequest.newBuilder().setContainerId(t.id()).addAllCmd(req.queryAll(StreamOptions.COMMAND))
                .setTty(o.tty()).setStdin(o.stdin()).setStdout(o.stdout()).setStderr(o.stderr()).build();
        String what = "exec in pod " + t.podRef() + " container " + req.param("containerName");
        String url = call(res, rt -> rt.exec(cri).getUrl());
        if (url != null) {
            UpgradeProxy.proxy(req, res, URI.create(url), what);
        }
    }

    private void attach(Request req, Response res) throws Exception {
        StreamOptions o = StreamOptions.of(req.query());
        StreamTargets.Target t = container(req);
        requireUpgrade(req);
        AttachRequest cri = AttachRequest.newBuilder().setContainerId(t.id()).setTty(o.tty()).setStdin(o.stdin())
                .setStdout(o.stdout()).setStderr(o.stderr()).build();
        String what = "attach to pod " + t.podRef() + " container " + req.param("containerName");
        String url = call(res, rt -> rt.attach(cri).getUrl());
        if (url != null) {
            UpgradeProxy.proxy(req, res, URI.create(url), what);
        }
    }

    private void portForward(Request req, Response res) throws Exception {
        List<Integer> ports = PortForwardPorts.of(UpgradeProxy.isWebSocket(req), req.queryAll(PortForwardPorts.PORT));
        StreamTargets.Target t = targets.readySandbox(req.param("podNamespace"), req.param("podID"),
                Optional.ofNullable(req.params().get("uid")));
        requireUpgrade(req);
        PortForwardRequest cri = PortForwardRequest.newBuilder().setPodSandboxId(t.id()).addAllPort(ports).build();
        String what = "port-forward to pod " + t.podRef();
        String url = call(res, rt -> rt.portForward(cri).getUrl());
        if (url != null) {
            UpgradeProxy.proxy(req, res, URI.create(url), what);
        }
    }

    /** {@code /run}: {@code cmd} split at spaces (upstream's legacy parameter), run to its end, the output answered. */
    private void run(Request req, Response res) throws Exception {
        StreamTargets.Target t = container(req);
        List<String> cmd = List.of(req.query().getOrDefault("cmd", "").split(" ", -1));
        log.info("run in pod {} container {}: {}", t.podRef(), req.param("containerName"), cmd);
        ExecSyncResponse r = call(res, rt -> rt.execSync(ExecSyncRequest.newBuilder().setContainerId(t.id())
                .addAllCmd(cmd).setTimeout(0).build()));
        if (r == null) {
            return;
        }
        if (r.getExitCode() != 0) {
            res.text(500, "command '" + String.join(" ", cmd) + "' exited with " + r.getExitCode() + ": "
                    + r.getStderr().toStringUtf8());
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.getStdout().writeTo(out);
        r.getStderr().writeTo(out);
        res.send(200, "application/json", out.toByteArray()); // upstream's writeJSONResponse, whatever the output is
    }

    private StreamTargets.Target container(Request req) throws Endpoint.NotFoundException {
        return targets.runningContainer(req.param("podNamespace"), req.param("podID"),
                Optional.ofNullable(req.params().get("uid")), req.param("containerName"));
    }

    /**
     * Upstream's UpgradeAwareHandler (upgradeRequired) says so only after asking the runtime, which spends a token;
     * Skiff checks after finding the target and before asking.
     */
    private static void requireUpgrade(Request req) throws Endpoint.BadRequestException {
        if (!UpgradeProxy.isUpgrade(req)) {
            throw new Endpoint.BadRequestException("Upgrade request required");
        }
    }


    /**
     * A CRI call; a refusal is answered as upstream's streaming.WriteError does (NotFound 404, ResourceExhausted 429,
     * the runtime's message as the body), with InvalidArgument as 400; null then.
     */
    private <T> T call(Response res, Function<RuntimeService, T> call) {
        Optional<RuntimeService> rt = runtime.get();
        if (rt.isEmpty()) {
            res.text(503, "the container runtime has not answered yet\n");
            return null;
        }
        try {
            return call.apply(rt.get());
        } catch (StatusRuntimeException e) {
            int status = switch (e.getStatus().getCode()) {
                case NOT_FOUND -> 404;
                case RESOURCE_EXHAUSTED -> 429;
                case INVALID_ARGUMENT -> 400;
                default -> 500;
            };
            String message = e.getStatus().getDescription() == null ? e.getStatus().getCode().toString() : e.getStatus().getDescription();
            res.text(status, message);
        }
        return null;
    }

}
