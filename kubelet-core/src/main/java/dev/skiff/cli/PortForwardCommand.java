package dev.skiff.cli;

import io.fabric8.kubernetes.api.model.Pod;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code skiff port-forward POD [LOCAL:]REMOTE…}: local ports forwarded into the pod's network namespace through the
 * kubelet's {@code /portForward}, as {@code kubectl port-forward} (SPDY; listening on 127.0.0.1 unless
 * {@code --address} says otherwise) until Ctrl-C or the pod goes away.
 */
@Command(name = "port-forward", mixinStandardHelpOptions = true, versionProvider = SkiffVersion.class,
        description = "Forward local ports to a pod of the Skiff kubelet on this node, as kubectl port-forward does.")
final class PortForwardCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "POD", description = "The pod's name; a static pod may also be named without its -<node> suffix.")
    String pod;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "[LOCAL:]REMOTE",
            description = "Ports: 8080:80 (local 8080 to the pod's 80), 80 (the same port), :80 (a free local port).")
    List<String> ports;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE", defaultValue = "default",
            description = "The pod's namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--address", paramLabel = "ADDRESS", split = ",", defaultValue = "127.0.0.1",
            description = "Local addresses to listen on, comma separated (default: ${DEFAULT-VALUE}).")
    List<String> addresses;

    @CommandLine.Mixin
    SecurePortOptions endpoint = new SecurePortOptions();

    @Override
    public Integer call() {
        return StreamingCommands.run(spec, () -> {
            KubeletConnection kubelet = endpoint.connect();
            Pod p = kubelet.pod(namespace, pod);
            String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
            if (!"Running".equals(phase)) {
                throw new IOException("unable to forward port because pod is not running. Current status=" + phase);
            }
            List<PortMapping> mappings = new ArrayList<>();
            for (String s : ports) {
                try {
                    mappings.add(PortMapping.parse(s, p));
                } catch (IllegalArgumentException e) {
                    throw new IOException(e.getMessage());
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            try (SpdyPortForwarder forwarder = new SpdyPortForwarder(out, spec.commandLine().getErr())) {
                forwarder.open(kubelet, "/portForward/" + enc(namespace) + "/" + enc(p.getMetadata().getName()));
                for (PortMapping m : mappings) {
                    for (String address : addresses) {
                        int local = forwarder.listen(address, m);
                        out.println("Forwarding from " + (address.contains(":") ? "[" + address + "]" : address) + ":"
                                + local + " -> " + m.remote());
                    }
                }
                out.flush();
                forwarder.awaitEnd();
            }
            throw new IOException("lost connection to pod");
        });
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
