package dev.skiff.cli;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What {@code skiff exec} and {@code skiff attach} share, as kubectl's: pick the container, put the terminal in raw
 * mode for {@code -t}, pump stdin for {@code -i}, keep the remote terminal's size in step, and turn the error stream
 * into the exit code ({@code command terminated with exit code N}).
 */
final class RemoteCommand {
    static final String DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";

    /** What to run where. */
    record Spec(String verb, String namespace, String pod, Optional<String> container, boolean stdin, boolean tty,
                boolean quiet, List<String> command) {}

    private final PrintWriter err;
    InputStream in = new FileInputStream(FileDescriptor.in);
    OutputStream out = new FileOutputStream(FileDescriptor.out);
    OutputStream errOut = new FileOutputStream(FileDescriptor.err);

    RemoteCommand(PrintWriter err) {
        this.err = err;
    }

    /** Runs the session; the exit code to return (the command's, or 1 when it could not run). */
    int run(KubeletConnection kubelet, Spec spec) throws IOException, InterruptedException {
        Pod pod = kubelet.pod(spec.namespace(), spec.pod());
        String container = container(pod, spec);
        boolean tty = spec.tty();
        if (tty && (!spec.stdin() || !Terminal.stdinIsTerminal())) {
            err.println("Unable to use a TTY - input is not a terminal or the right kind of file");
            err.flush();
            tty = false;
        }
        String path = "/" + spec.verb() + "/" + enc(spec.namespace()) + "/" + enc(pod.getMetadata().getName()) + "/"
                + enc(container) + "?" + query(spec, tty);
        try (WebSocketStreams streams = new WebSocketStreams(out, errOut)) {
            streams.open(kubelet, path);
            Optional<Terminal> terminal = tty ? Terminal.raw() : Optional.empty();
            try {
                if (tty) {
                    Terminal.size().ifPresent(s -> streams.resize(s[0], s[1]));
                    Terminal.onResize(() -> Terminal.size().ifPresent(s -> streams.resize(s[0], s[1])));
                }
                if (spec.stdin()) {
                    startStdin(streams, tty);
                }
                RemoteStatus status = streams.await();
                terminal.ifPresent(Terminal::close);
                if (status.error().isPresent()) {
                    err.println("skiff " + spec.verb() + ": " + status.error().get());
                    err.flush();
                    return 1;
                }
                int code = status.exitCode().orElse(0);
                if (code != 0) {
                    err.println("command terminated with exit code " + code);
                    err.flush();
                }
                return code;
            } finally {
                terminal.ifPresent(Terminal::close);
            }
        }
    }

    private void startStdin(WebSocketStreams streams, boolean tty) {
        Thread t = new Thread(() -> {
            try {
                streams.pumpStdin(in);
                if (!tty && !streams.canCloseStdin()) {
                    err.println("skiff: the runtime's streaming server speaks " + streams.protocol()
                            + ", which cannot signal the end of stdin; the command's stdin stays open");
                    err.flush();
                }
            } catch (IOException e) {
                // the session ended while stdin was read: the exit code says how it went
            }
        }, "skiff-stdin");
        t.setDaemon(true); // a read of the user's stdin must not keep the CLI alive once the session ended
        t.start();
    }

    private static String query(Spec spec, boolean tty) {
        StringBuilder q = new StringBuilder();
        for (String c : spec.command()) {
            q.append("command=").append(enc(c)).append('&');
        }
        if (spec.stdin()) {
            q.append("input=1&");
        }
        q.append("output=1&");
        if (!tty) {
            q.append("error=1&");
        }
        if (tty) {
            q.append("tty=1&");
        }
        return q.substring(0, q.length() - 1);
    }

    /** {@code -c}, else the default-container annotation, else the first container (said on stderr when there are more). */
    private String container(Pod pod, Spec spec) throws IOException {
        List<String> names = pod.getSpec().getContainers().stream().map(Container::getName).toList();
        if (spec.container().isPresent()) {
            String c = spec.container().get();
            boolean known = names.contains(c) || Optional.ofNullable(pod.getSpec().getInitContainers()).orElse(List.of())
                    .stream().anyMatch(i -> c.equals(i.getName()));
            if (!known) {
                throw new IOException("container " + c + " not found in pod " + pod.getMetadata().getName());
            }
            return c;
        }
        Optional<String> annotated = Optional.ofNullable(pod.getMetadata().getAnnotations())
                .map(a -> a.get(DEFAULT_CONTAINER_ANNOTATION)).filter(names::contains);
        String chosen = annotated.orElse(names.get(0));
        if (annotated.isEmpty() && names.size() > 1 && !spec.quiet()) {
            err.println("Defaulted container \"" + chosen + "\" out of: " + names.stream().collect(Collectors.joining(", ")));
            err.flush();
        }
        return chosen;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
