# Skiff: `make run` builds and runs it, `make test` runs every test. Both set up a fresh
# Debian machine first (packages, dockerd, local images); nothing reaches a registry.
SHELL := /bin/bash
MVN ?= mvn -B -ntp
ROOT_DIR ?= /var/lib/kubelet
CRI_SOCKET ?= unix:///run/skiff/cri.sock

.PHONY: all build unit test it run clean host-deps dockerd test-images

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

## run: build, then serve the Docker CRI shim on $(CRI_SOCKET) in the foreground
run: host-deps dockerd build
	@echo "skiff: CRI v1 on $(CRI_SOCKET); try: crictl --runtime-endpoint $(CRI_SOCKET) version"
	./bin/skiff cri-shim --listen $(CRI_SOCKET)

host-deps:
	./hack/install-host-deps.sh

dockerd:
	./hack/ensure-dockerd.sh

test-images:
	./hack/build-test-images.sh

clean:
	$(MVN) -q clean
