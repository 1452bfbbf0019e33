package dev.skiff.bench;

import com.github.dockerjava.api.DockerClient;
import dev.skiff.cri.docker.PauseImage;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * What every bench's {@code main} does: find {@code bin/skiff}, make sure the images are there (skiff imports its
 * pause image on first use; importing it here means neither side of a comparison pays for that), run the bench,
 * remove its namespace's containers whatever happened, and exit with its code.
 */
final class BenchMain {
    /** One bench: its containers carry {@link #namespace()}; {@link #run} prints its figures, 1 when it cannot measure. */
    interface Bench {
        String namespace();

        int run(Path skiff) throws Exception;
    }

    /** The local images and Docker client a bench is built with. */
    record Setup(DockerClient docker, String busybox, String pause) {
    }

    private BenchMain() {
    }

    /** What a bench says when it cannot measure: why, and the end of Skiff's log when one was started. Returns 1. */
    static int cannotMeasure(Throwable e, BenchSkiff skiff) {
        System.out.println("bench: cannot measure: " + e.getMessage());
        if (skiff != null) {
            System.out.println("bench: last lines of " + skiff.log + ":");
            skiff.tail(30).forEach(l -> System.out.println("  | " + l));
        }
        return 1;
    }

    static void run(Function<Setup, Bench> create) throws Exception {
        Path skiff = BenchSkiff.locate();
        DockerClient docker = TestDocker.client();
        String busybox = TestImages.busybox(docker);
        String pause = new PauseImage(docker, null).ensure();
        Bench bench = create.apply(new Setup(docker, busybox, pause));
        int code;
        try {
            code = bench.run(skiff);
        } finally {
            TestDocker.removeNamespace(bench.namespace());
        }
        System.exit(code);
    }
}
