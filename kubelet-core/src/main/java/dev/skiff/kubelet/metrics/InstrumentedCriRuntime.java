package dev.skiff.kubelet.metrics;

import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;

/** A runtime whose two services are instrumented; closing it closes the runtime it wraps. */
public final class InstrumentedCriRuntime implements CriRuntime {
    private final CriRuntime delegate;
    private final RuntimeService runtime;
    private final ImageService images;

    public InstrumentedCriRuntime(CriRuntime delegate, RuntimeOperations metrics) {
        this.delegate = delegate;
        this.runtime = new InstrumentedRuntimeService(delegate.runtime(), metrics);
        this.images = new InstrumentedImageService(delegate.images(), metrics);
    }

    @Override
    public RuntimeService runtime() {
        return runtime;
    }

    @Override
    public ImageService images() {
        return images;
    }

    @Override
    public void close() {
        delegate.close();
    }
}
