package dev.skiff.systemd;

import java.util.Optional;
import java.util.function.Supplier;

/** The {@link ServiceNotifier} for a kubelet no service manager watches. */
enum NoServiceNotifier implements ServiceNotifier {
    INSTANCE;

    @Override
    public void ready(String status) {
    }

    @Override
    public void status(String status) {
    }

    @Override
    public void watchdog(Supplier<Optional<String>> health) {
    }

    @Override
    public void stopping() {
    }

    @Override
    public void close() {
    }
}
