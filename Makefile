# Skiff: `make run` builds and runs it, `make test` runs every test. Both set up a fresh
# Debian machine first (packages, dockerd, local images); nothing reaches a registry.
SHELL := /bin/bash
MVN ?= mvn -B -ntp
ROOT_DIR ?= /var/lib/kubelet
CRI_SOCKET ?= unix:///run/skiff/cri.sock
CLUSTER_DOMAIN ?= cluster.local

.PHONY: all build unit test it run run-cri-shim bench install uninstall clean host-deps dockerd test-images

all: build

## build: compile and package; leaves ./bin/skiff runnable. Only when a source, pom or Maven setting changed
## since the last build (make's own up-to-date check on the jar), so a second `make run` starts in seconds.
JAR := kubelet-core/target/skiff.jar
BUILD_INPUTS := $(shell find pom.xml .mvn */pom.xml */src -type f 2>/dev/null)
build: $(JAR)

$(JAR): $(BUILD_INPUTS)
	$(MVN) -q -DskipTests package
	@touch $@

# Every module's tests run even when some fail: a failing test does not stop the build (so modules that depend on
# a module with a failing test still run theirs), and --fail-at-end goes on past a module that does not build.
# Then hack/TestSummary.java names each failing and skipped test of this run, module by module, and fails the
# target when any test failed or Maven did.
define run_tests
	@stamp=$$(mktemp); rc=0; $(MVN) --fail-at-end -Dmaven.test.failure.ignore=true $(1) || rc=$$?; \
	java hack/TestSummary.java "$$stamp" . || { [ $$rc -ne 0 ] || rc=1; }; rm -f "$$stamp"; exit $$rc
endef

## unit: the fast tests (no Docker, mounts or root), seconds
unit:
	$(call run_tests,-P unit verify)

## test: every test, unit and integration, against a real Docker Engine
test: host-deps dockerd test-images
	$(call run_tests,verify)

## it: integration tests only (assumes `make test` prepared the host once)
it: dockerd test-images
	$(call run_tests,verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false)

## run: build, then run the kubelet in the foreground on examples/manifests (ROOT_DIR=... overrides its root dir)
run: host-deps dockerd test-images build
	@echo "skiff: kubelet on examples/manifests, root dir $(ROOT_DIR), pod logs in /var/log/pods"
	@echo "skiff: watch it with: curl -s 127.0.0.1:10255/pods   or: ./bin/skiff pods"
	@echo "skiff: stop it with Ctrl-C or SIGTERM; its pods keep running (remove their manifests first to stop them)"
	@./bin/skiff --pod-manifest-path examples/manifests --root-dir $(ROOT_DIR) --cluster-domain $(CLUSTER_DOMAIN) \
	    || { rc=$$?; [ $$rc -eq 143 ] || [ $$rc -eq 130 ] || exit $$rc; echo "skiff: stopped (exit $$rc); its pods keep running"; }

## run-cri-shim: build, then serve the Docker CRI shim alone on $(CRI_SOCKET) in the foreground
run-cri-shim: host-deps dockerd build
	@echo "skiff: CRI v1 on $(CRI_SOCKET); try: crictl --runtime-endpoint $(CRI_SOCKET) version"
	@./bin/skiff cri-shim --listen $(CRI_SOCKET) \
	    || { rc=$$?; [ $$rc -eq 143 ] || [ $$rc -eq 130 ] || exit $$rc; echo "skiff: cri-shim stopped (exit $$rc)"; }

## bench: pod start time beside the same Docker calls made directly; then 100 pods (with and without volumes) at once,
## idle CPU/RSS with them, the relist of 110 pods, 100 probed pods (CPU/RSS, readiness latency), manifest intake, and
## 50 pods with a 30 s grace period removed at once; the stats and metrics paths' latency with 100 pods and the CPU
## of a real Prometheus scraping them; `skiff exec` beside `docker exec`, and port-forward throughput beside a direct
## connection to the pod IP; the CRI calls of cri-tools' benchmark through the shim beside their raw Docker calls;
## each prints PASS/MISS against its target
BENCH_CP = kubelet-core/target/test-classes:kubelet-core/target/skiff.jar:$(wildcard cri-client/target/skiff-cri-client-*-tests.jar)
bench: host-deps dockerd test-images build
	java -Dlogback.configurationFile=kubelet-core/src/main/resources/logback.xml -cp $(BENCH_CP) dev.skiff.bench.PodStartBench
	java -Dlogback.configurationFile=kubelet-core/src/main/resources/logback.xml -cp $(BENCH_CP) dev.skiff.bench.NodeLoadBench
	java -Dlogback.configurationFile=kubelet-core/src/main/resources/logback.xml -cp $(BENCH_CP) dev.skiff.bench.ProbeLoadBench
	java -Dlogback.configurationFile=kubelet-core/src/main/resources/logback.xml -cp $(BENCH_CP) dev.skiff.bench.ManifestIntakeBench
	java -Dlogback.configurationFile=kubelet-core/src/main/resources/logback.xml -cp $(BENCH_CP) dev.skiff.bench.TerminationBench
	java -Dlogback.configurationFile=kubelet-core/src/main/resources/logback.xml -cp $(BENCH_CP) dev.skiff.bench.StatsBench
	java -Dlogback.configurationFile=kubelet-core/src/main/resources/logback.xml -cp $(BENCH_CP) dev.skiff.bench.ExecBench
	java -Dlogback.configurationFile=kubelet-core/src/main/resources/logback.xml -cp $(BENCH_CP) dev.skiff.bench.PortForwardBench
	java -Dlogback.configurationFile=kubelet-core/src/main/resources/logback.xml -cp $(BENCH_CP) dev.skiff.bench.CriCallBench

## install: the jar and launcher under $(PREFIX)/lib/skiff and $(PREFIX)/bin, skiff.service under /etc/systemd/system,
## a commented /etc/skiff/config.yaml (kept when present) and /etc/kubernetes/manifests; DESTDIR=... stages it elsewhere
PREFIX ?= /usr
INSTALL_BUILD ?= build
install: $(INSTALL_BUILD)
	DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" ./hack/install.sh install

## uninstall: removes what install put there; never pods, volumes, logs or /etc/skiff/config.yaml edits
uninstall:
	DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" ./hack/install.sh uninstall

host-deps:
	./hack/install-host-deps.sh

dockerd:
	./hack/ensure-dockerd.sh

test-images:
	./hack/build-test-images.sh

clean:
	$(MVN) -q clean
