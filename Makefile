# Skiff: `make run` builds and runs it, `make test` runs every test. Both set up a fresh
# Debian machine first (packages, dockerd, local images); nothing reaches a registry.
SHELL := /bin/bash
MVN ?= mvn -B -ntp
ROOT_DIR ?= /var/lib/kubelet
CRI_SOCKET ?= unix:///run/skiff/cri.sock
CLUSTER_DOMAIN ?= cluster.local

.PHONY: all build unit test it run run-cri-shim bench install uninstall clean host-deps dockerd test-images

all: build

## build: compile and package; leaves ./bin/skiff runnable
build:
	$(MVN) -q -DskipTests package

## unit: the fast tests (no Docker, mounts or root), seconds
unit:
	$(MVN) -P unit verify

## test: every test, unit and integration, against a real Docker Engine
test: host-deps dockerd test-images
	$(MVN) verify

## it: integration tests only (assumes `make test` prepared the host once)
it: dockerd test-images
	$(MVN) verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false

## run: build, then run the kubelet in the foreground on examples/manifests (ROOT_DIR=... overrides its root dir)
run: host-deps dockerd test-images build
	@echo "skiff: kubelet on examples/manifests, root dir $(ROOT_DIR), pod logs in /var/log/pods"
	@echo "skiff: watch it with: curl -s 127.0.0.1:10255/pods   or: ./bin/skiff pods"
	./bin/skiff --pod-manifest-path examples/manifests --root-dir $(ROOT_DIR) --cluster-domain $(CLUSTER_DOMAIN)

## run-cri-shim: build, then serve the Docker CRI shim alone on $(CRI_SOCKET) in the foreground
run-cri-shim: host-deps dockerd build
	@echo "skiff: CRI v1 on $(CRI_SOCKET); try: crictl --runtime-endpoint $(CRI_SOCKET) version"
	./bin/skiff cri-shim --listen $(CRI_SOCKET)

## bench: pod start time beside the same Docker calls made directly; then 100 pods (with and without volumes) at once,
## idle CPU/RSS with them, and the relist of 110 pods (each prints PASS/MISS against its target)
BENCH_CP = kubelet-core/target/test-classes:kubelet-core/target/skiff.jar:$(wildcard cri-client/target/skiff-cri-client-*-tests.jar)
bench: dockerd test-images build
	java -Dlogback.configurationFile=kubelet-core/src/main/resources/logback.xml -cp $(BENCH_CP) dev.skiff.bench.PodStartBench
	java -Dlogback.configurationFile=kubelet-core/src/main/resources/logback.xml -cp $(BENCH_CP) dev.skiff.bench.NodeLoadBench

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
