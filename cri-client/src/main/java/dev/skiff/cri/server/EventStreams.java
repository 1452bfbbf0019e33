package dev.skiff.cri.server;

import dev.skiff.cri.v1.ContainerEventResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open GetContainerEvents streams of one server, so that shutting the server down ends
 * them (a client's stream is otherwise open forever and would hold graceful shutdown to
 * its timeout).
 */
final class EventStreams {
    private final Set<Stream> open = ConcurrentHashMap.newKeySet();

    /** Wraps the call's observer; must be called on the call's thread, before the handler returns. */
    StreamObserver<ContainerEventResponse> open(ServerCallStreamObserver<ContainerEventResponse> call) {
        Stream stream = new Stream(call);
        open.add(stream);
        call.setOnCancelHandler(stream::cancelledByClient);
        return stream;
    }

    int size() {
        return open.size();
    }

    void endAll(Status status) {
        for (Stream s : open) {
            s.onError(status.asRuntimeException());
        }
    }

    /**
     * What the runtime writes events to: thread-safe (events may come from any thread), and
     * once the stream has ended (client cancelled, server closing, runtime finished) every
     * further onNext throws CANCELLED so a runtime that only watches for exceptions stops too;
     * runtimes that watch the gRPC Context see it cancelled at the same moment.
     */
    private final class Stream implements StreamObserver<ContainerEventResponse> {
        private final ServerCallStreamObserver<ContainerEventResponse> call;
        private boolean ended;

        Stream(ServerCallStreamObserver<ContainerEventResponse> call) {
            this.call = call;
        }

        @Override
        public synchronized void onNext(ContainerEventResponse event) {
            if (ended || call.isCancelled()) {
                end();
                throw Status.CANCELLED.withDescription("container event stream has ended").asRuntimeException();
            }
            call.onNext(event);
        }

        @Override
        public synchronized void onError(Throwable t) {
            if (!ended) {
                end();
                call.onError(CallErrors.toStatus("GetContainerEvents", t));
            }
        }

        @Override
        public synchronized void onCompleted() {
            if (!ended) {
                end();
                call.onCompleted();
            }
        }

        synchronized void cancelledByClient() {
            end();
        }

        private void end() {
            ended = true;
            open.remove(this);
        }
    }
}
