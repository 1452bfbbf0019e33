package dev.skiff.cri;

/**
 * A whole CRI runtime: both services, and the resources behind them (connections, threads)
 * released by {@link #close()}. What the kubelet holds, in-process or remote.
 */
public interface CriRuntime extends AutoCloseable {
    RuntimeService runtime();

    ImageService images();

    @Override
    void close();
}
