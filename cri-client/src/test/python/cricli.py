#!/usr/bin/python3
"""cricli: a small crictl-like CRI v1 client, written for Skiff's tests from the CRI protocol's description.

crictl is not packaged in Debian, so this stands in for it in CI. It shares no code with Skiff: its
messages are protoc's Python output for the CRI schema (runtime/v1/api.proto), its calls are grpcio's
generic unary calls on the method paths the protocol names, and it speaks crictl's command line for the
commands it has. As crictl does, it prints results on stdout and diagnostics on stderr (--debug: each
request and response).

    protoc --python_out=GEN -I proto/src/main/proto proto/src/main/proto/runtime/v1/api.proto
    PYTHONPATH=GEN /usr/bin/python3 cricli.py --runtime-endpoint unix:///run/skiff/cri.sock version

Commands: version info images inspecti imagefsinfo runp pods inspectp stopp rmp create start ps inspect
exec logs stop rm stats. A failed call prints "rpc error: code = <Code> desc = <message>" on stderr and
exits 1, as crictl does.
"""
import argparse
import json
import sys

import grpc
from google.protobuf import json_format

from runtime.v1 import api_pb2 as cri

RUNTIME = "/runtime.v1.RuntimeService/"
IMAGES = "/runtime.v1.ImageService/"
TRUNC = 13


class Client:
    def __init__(self, runtime_endpoint, image_endpoint, timeout, debug):
        self.runtime = grpc.insecure_channel(runtime_endpoint)
        self.images = self.runtime if image_endpoint == runtime_endpoint else grpc.insecure_channel(image_endpoint)
        self.timeout = timeout
        self.debug = debug

    def call(self, method, request, response_type):
        """One unary call; method is "/package.Service/Name"."""
        channel = self.images if method.startswith(IMAGES) else self.runtime
        stub = channel.unary_unary(method, request_serializer=type(request).SerializeToString,
                                   response_deserializer=response_type.FromString)
        self.log("request", method, request)
        response = stub(request, timeout=self.timeout)
        self.log("response", method, response)
        return response

    def log(self, what, method, message):
        if self.debug:
            text = json_format.MessageToJson(message, indent=None)
            print("DEBU[0000] %s: %s %s" % (what, method, text), file=sys.stderr)


def go_code(code):
    """grpc.StatusCode.NOT_FOUND -> NotFound, as Go's codes.Code prints it (crictl's errors)."""
    return "".join(part.capitalize() for part in code.name.split("_"))


def parse_duration(text):
    """crictl's --timeout takes a Go duration: 60s, 2m, 1m30s; plain numbers are seconds."""
    total, number = 0.0, ""
    units = {"h": 3600, "m": 60, "s": 1}
    for ch in text:
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in units and number:
            total += float(number) * units[ch]
            number = ""
        else:
            raise argparse.ArgumentTypeError("not a duration: %s" % text)
    return total + (float(number) if number else 0.0)


def labels(pairs):
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit("cricli: --label wants key=value, got %r" % pair)
        out[key] = value
    return out


def scoped(f, a):
    """A list command's --id, --pod and --label flags into its filter (pod sandbox, container or stats)."""
    f.label_selector.update(labels(a.label))
    if a.id:
        f.id = a.id
    if getattr(a, "pod", None):
        f.pod_sandbox_id = a.pod
    return f


def each(c, a, method, request, response_type, done="%s"):
    """One call per id given, a line printed for each done, as crictl's start/stop/rm commands do."""
    for i in a.ids:
        c.call(RUNTIME + method, request(i), response_type)
        print(done % i)
    return 0


def load(path, message):
    with open(path, encoding="utf-8") as f:
        return json_format.Parse(f.read(), message)


def to_json(message):
    """As crictl's inspect commands print: every field, zero values too (SANDBOX_READY is enum value 0)."""
    return json_format.MessageToJson(message, indent=2, including_default_value_fields=True)


def short(ident, full):
    return ident if full else ident[:TRUNC]


def listing(a, items, header, row):
    """As crictl lists: --name keeps the items whose name contains it; -q prints their ids, else a table."""
    items = [x for x in items if not a.name or a.name in x.metadata.name]
    if a.quiet:
        for x in items:
            print(x.id)
        return 0
    table([header] + [row(x) for x in items])
    return 0


def table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("   ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


CONTAINER_STATES = {cri.CONTAINER_CREATED: "Created", cri.CONTAINER_RUNNING: "Running",
                    cri.CONTAINER_EXITED: "Exited", cri.CONTAINER_UNKNOWN: "Unknown"}
SANDBOX_STATES = {cri.SANDBOX_READY: "Ready", cri.SANDBOX_NOTREADY: "NotReady"}


# ---- commands: each takes the client and the parsed arguments and returns the exit code ----

def version(c, a):
    v = c.call(RUNTIME + "Version", cri.VersionRequest(version="v1"), cri.VersionResponse)
    print("Version:  %s" % v.version)
    print("RuntimeName:  %s" % v.runtime_name)
    print("RuntimeVersion:  %s" % v.runtime_version)
    print("RuntimeApiVersion:  %s" % v.runtime_api_version)
    return 0


def info(c, a):
    print(to_json(c.call(RUNTIME + "Status", cri.StatusRequest(verbose=True), cri.StatusResponse)))
    return 0


def images(c, a):
    listed = c.call(IMAGES + "ListImages", cri.ListImagesRequest(), cri.ListImagesResponse).images
    if a.quiet:
        for i in listed:
            print(i.id)
        return 0
    rows = [("IMAGE", "TAG", "IMAGE ID", "SIZE")]
    for i in listed:
        image_id = i.id[len("sha256:"):] if i.id.startswith("sha256:") else i.id
        for tag in i.repo_tags or ["<none>:<none>"]:
            repo, _, t = tag.rpartition(":")
            rows.append((repo, t, short(image_id, a.no_trunc), i.size))
    table(rows)
    return 0


def inspecti(c, a):
    r = c.call(IMAGES + "ImageStatus", cri.ImageStatusRequest(image=cri.ImageSpec(image=a.image), verbose=True),
               cri.ImageStatusResponse)
    if not r.HasField("image"):
        print("no such image %s present" % a.image, file=sys.stderr)
        return 1
    print(to_json(r))
    return 0


def imagefsinfo(c, a):
    print(to_json(c.call(IMAGES + "ImageFsInfo", cri.ImageFsInfoRequest(), cri.ImageFsInfoResponse)))
    return 0


def runp(c, a):
    request = cri.RunPodSandboxRequest(config=load(a.config, cri.PodSandboxConfig()), runtime_handler=a.runtime)
    print(c.call(RUNTIME + "RunPodSandbox", request, cri.RunPodSandboxResponse).pod_sandbox_id)
    return 0


def pods(c, a):
    f = scoped(cri.PodSandboxFilter(), a)
    if a.state:
        f.state.state = {"ready": cri.SANDBOX_READY, "notready": cri.SANDBOX_NOTREADY}[a.state.lower()]
    items = c.call(RUNTIME + "ListPodSandbox", cri.ListPodSandboxRequest(filter=f), cri.ListPodSandboxResponse).items
    return listing(a, items, ("POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT"),
                   lambda p: (short(p.id, a.no_trunc), p.created_at, SANDBOX_STATES.get(p.state, "Unknown"),
                              p.metadata.name, p.metadata.namespace, p.metadata.attempt))


def inspectp(c, a):
    print(to_json(c.call(RUNTIME + "PodSandboxStatus", cri.PodSandboxStatusRequest(pod_sandbox_id=a.id, verbose=True),
                         cri.PodSandboxStatusResponse)))
    return 0


def stopp(c, a):
    return each(c, a, "StopPodSandbox", lambda i: cri.StopPodSandboxRequest(pod_sandbox_id=i),
                cri.StopPodSandboxResponse, "Stopped sandbox %s")


def rmp(c, a):
    return each(c, a, "RemovePodSandbox", lambda i: cri.RemovePodSandboxRequest(pod_sandbox_id=i),
                cri.RemovePodSandboxResponse, "Removed sandbox %s")


def create(c, a):
    request = cri.CreateContainerRequest(pod_sandbox_id=a.pod, config=load(a.container_config, cri.ContainerConfig()),
                                         sandbox_config=load(a.pod_config, cri.PodSandboxConfig()))
    print(c.call(RUNTIME + "CreateContainer", request, cri.CreateContainerResponse).container_id)
    return 0


def start(c, a):
    return each(c, a, "StartContainer", lambda i: cri.StartContainerRequest(container_id=i), cri.StartContainerResponse)


def ps(c, a):
    f = scoped(cri.ContainerFilter(), a)
    if a.state:
        f.state.state = {"created": cri.CONTAINER_CREATED, "running": cri.CONTAINER_RUNNING,
                         "exited": cri.CONTAINER_EXITED, "unknown": cri.CONTAINER_UNKNOWN}[a.state.lower()]
    elif not a.all:
        f.state.state = cri.CONTAINER_RUNNING  # crictl ps shows running containers unless -a
    listed = c.call(RUNTIME + "ListContainers", cri.ListContainersRequest(filter=f), cri.ListContainersResponse).containers
    return listing(a, listed, ("CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID"),
                   lambda x: (short(x.id, a.no_trunc), x.image.image, x.created_at,
                              CONTAINER_STATES.get(x.state, "Unknown"), x.metadata.name, x.metadata.attempt,
                              short(x.pod_sandbox_id, a.no_trunc)))


def container_status(c, ident):
    return c.call(RUNTIME + "ContainerStatus", cri.ContainerStatusRequest(container_id=ident, verbose=True),
                  cri.ContainerStatusResponse)


def inspect(c, a):
    for i in a.ids:
        print(to_json(container_status(c, i)))
    return 0


def exec_(c, a):
    if not a.sync:
        print("cricli: only exec -s (ExecSync) is supported; streaming exec needs the CRI streaming server",
              file=sys.stderr)
        return 2
    r = c.call(RUNTIME + "ExecSync", cri.ExecSyncRequest(container_id=a.container, cmd=a.command, timeout=a.timeout),
               cri.ExecSyncResponse)
    sys.stdout.buffer.write(r.stdout)
    sys.stdout.flush()
    sys.stderr.buffer.write(r.stderr)
    sys.stderr.flush()
    return r.exit_code


def logs(c, a):
    """As crictl logs: the CRI log file named by the container's status, each line "<time> <stream> <P|F> <text>"."""
    path = container_status(c, a.id).status.log_path
    if not path:
        print("cricli: container %s has no log path" % a.id, file=sys.stderr)
        return 1
    partial = {"stdout": [], "stderr": []}
    with open(path, "rb") as f:
        for raw in f:
            parts = raw.rstrip(b"\n").split(b" ", 3)
            if len(parts) < 3 or parts[1] not in (b"stdout", b"stderr") or parts[2] not in (b"P", b"F"):
                print("cricli: malformed CRI log line in %s: %r" % (path, raw[:80]), file=sys.stderr)
                return 1
            stream = parts[1].decode()
            partial[stream].append(parts[3] if len(parts) == 4 else b"")
            if parts[2] == b"F":
                out = sys.stdout if stream == "stdout" else sys.stderr
                out.buffer.write(b"".join(partial[stream]) + b"\n")
                partial[stream] = []
    sys.stdout.flush()
    return 0


def stop(c, a):
    return each(c, a, "StopContainer", lambda i: cri.StopContainerRequest(container_id=i, timeout=a.timeout),
                cri.StopContainerResponse)


def rm(c, a):
    return each(c, a, "RemoveContainer", lambda i: cri.RemoveContainerRequest(container_id=i), cri.RemoveContainerResponse)


def stats(c, a):
    f = scoped(cri.ContainerStatsFilter(), a)
    print(to_json(c.call(RUNTIME + "ListContainerStats", cri.ListContainerStatsRequest(filter=f),
                         cri.ListContainerStatsResponse)))
    return 0


def parser():
    p = argparse.ArgumentParser(prog="cricli", description="a crictl-like CRI v1 client for Skiff's tests")
    p.add_argument("-r", "--runtime-endpoint", required=True)
    p.add_argument("-i", "--image-endpoint")
    p.add_argument("-t", "--timeout", dest="call_timeout", type=parse_duration, default=60.0)
    p.add_argument("-D", "--debug", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    def command(name, fn):
        s = sub.add_parser(name)
        s.set_defaults(fn=fn)
        return s

    command("version", version)
    command("info", info)
    s = command("images", images)
    s.add_argument("-q", "--quiet", action="store_true")
    s.add_argument("--no-trunc", action="store_true")
    command("inspecti", inspecti).add_argument("image")
    command("imagefsinfo", imagefsinfo)
    s = command("runp", runp)
    s.add_argument("--runtime", default="")
    s.add_argument("config")
    s = command("pods", pods)
    for flag in ("--id", "--name", "--state"):
        s.add_argument(flag)
    s.add_argument("--label", action="append")
    s.add_argument("-q", "--quiet", action="store_true")
    s.add_argument("--no-trunc", action="store_true")
    command("inspectp", inspectp).add_argument("id")
    command("stopp", stopp).add_argument("ids", nargs="+")
    command("rmp", rmp).add_argument("ids", nargs="+")
    s = command("create", create)
    s.add_argument("pod")
    s.add_argument("container_config")
    s.add_argument("pod_config")
    command("start", start).add_argument("ids", nargs="+")
    s = command("ps", ps)
    for flag in ("--id", "--name", "--state", "--pod"):
        s.add_argument(flag)
    s.add_argument("--label", action="append")
    s.add_argument("-a", "--all", action="store_true")
    s.add_argument("-q", "--quiet", action="store_true")
    s.add_argument("--no-trunc", action="store_true")
    command("inspect", inspect).add_argument("ids", nargs="+")
    s = command("exec", exec_)
    s.add_argument("-s", "--sync", action="store_true")
    s.add_argument("--timeout", type=int, default=0)
    s.add_argument("container")
    s.add_argument("command", nargs=argparse.REMAINDER)
    command("logs", logs).add_argument("id")
    s = command("stop", stop)
    s.add_argument("-t", "--timeout", type=int, default=0)
    s.add_argument("ids", nargs="+")
    command("rm", rm).add_argument("ids", nargs="+")
    s = command("stats", stats)
    for flag in ("--id", "--pod"):
        s.add_argument(flag)
    s.add_argument("--label", action="append")
    return p


def main(argv):
    a = parser().parse_args(argv)
    client = Client(a.runtime_endpoint, a.image_endpoint or a.runtime_endpoint, a.call_timeout, a.debug)
    try:
        return a.fn(client, a)
    except grpc.RpcError as e:
        print("rpc error: code = %s desc = %s" % (go_code(e.code()), e.details()), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
