#!/usr/bin/env python3
"""Cold-start init time of Lambda binaries, measured locally.

Serves the Lambda Runtime API on loopback, starts the binary with AWS_LAMBDA_RUNTIME_API
pointing at it, and measures what Lambda reports as Init Duration: from process start to
the runtime's first `GET /2018-06-01/runtime/invocation/next`. It also reads the CPU time
the process used by then (all threads, /proc/<pid>/task/*/schedstat) and its resident memory.

With --invoke EVENT.json the first `next` is answered with that event, and the harness also
measures the first invocation (its response time and CPU time, and the peak RSS once the
runtime asks for the next event); --warm N then sends N more of the same event (warm requests).
A binary written as BINARY@EVENT.json gets its own event. Point the binaries at a DynamoDB
with --env AWS_ENDPOINT_URL_DYNAMODB=..., or let the harness start moto (--moto, creates the
table from template.yaml; --seed CREATE_BINARY writes certifications through the real create
function and points every event's {id} at the first one).

    scripts/cold-start.py --runs 30 target/release/get-certification /tmp/hello/target/release/hello
    scripts/cold-start.py --invoke events/get-certification.json \\
        --env AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:5000 target/release/get-certification

Over TLS, capped like a 128 MB function, against a Python boto3 function of the same GetItem:

    scripts/cold-start.py --moto --seed target/release/create-certification --tls \\
        --cpu-share 0.0724 --peer --invoke events/get-certification.json --runs 5 \\
        target/release/get-certification

    --tls        a TLS-terminating keep-alive proxy (scripts/tls_proxy.py) with a throwaway CA in
                 front of the endpoint; the functions get SSL_CERT_FILE (the peer AWS_CA_BUNDLE).
                 Fails (exit 1) unless every cold start of a binary run with the --invoke event
                 makes one TLS handshake: the connection the init warm-up opens is the one the
                 invocations reuse. (A BINARY@EVENT.json gets its count reported only: a list
                 page queries four index shards at once, on four connections.)
    --cpu-share  the process runs from spawn in a cgroup (v2 cpu.max, or v1 cfs_quota_us) capped
                 at this fraction of one CPU per 100 ms period; Lambda gives a function
                 MemorySize / 1769 of a vCPU (0.0724 at 128 MB).
    --memory-sizes 128,256,512,1024
                 one capped run per size (share = size / 1769) and a markdown table: cold request,
                 warm p50 per binary, and the cost of a million warm requests at the arm64 price.
    --peer       also measures scripts/peer/get_item.py (a yardstick, not part of the service).

COLD_START_DEBUG=1 prints every run and the proxy's connection events.

The standard library, plus openssl (CLI) for --tls and boto3/PyYAML (moto's own dependencies)
for --moto, --seed and --peer. Linux (/proc) only; the cgroup cap needs root.
"""

import argparse
import http.server
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

RUNTIME = "/2018-06-01/runtime"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Lambda on arm64 (Graviton), us-east-1, from https://aws.amazon.com/lambda/pricing/ (read 2026-11-27).
PRICE_PER_GB_SECOND = 0.0000133334
PRICE_PER_MILLION_REQUESTS = 0.20
MB_PER_VCPU = 1769  # Lambda gives one vCPU at 1,769 MB, and CPU in proportion below it.

# What Lambda gives every function, plus what ours need. Credentials are dummies: the SDK
# resolves them lazily and nothing here reaches AWS.
BASE_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "cold-start",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/cold-start",
    "AWS_LAMBDA_LOG_STREAM_NAME": "local",
    "AWS_LAMBDA_LOG_LEVEL": "INFO",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "AKIDCOLDSTART",
    "AWS_SECRET_ACCESS_KEY": "cold-start",
    "AWS_SESSION_TOKEN": "cold-start",
    "TABLE_NAME": "certifications",
    "PATH": "/usr/bin:/bin",
}


def cpu_ns(pid):
    """CPU time of every thread of pid, in ns (schedstat's first field)."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------- CPU cap


class CpuCap:
    """A cgroup capped at `share` of one CPU (quota over a 100 ms period), new for every run so
    each process starts with a full period, as a fresh Lambda sandbox does."""

    PERIOD_US = 100_000

    def __init__(self, share):
        self.share = share
        self.quota_us = max(1000, round(share * self.PERIOD_US))
        if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            self.version, self.base = 2, "/sys/fs/cgroup"
            with open(f"{self.base}/cgroup.subtree_control") as f:
                if "cpu" not in f.read().split():
                    with open(f"{self.base}/cgroup.subtree_control", "w") as w:
                        w.write("+cpu")
        elif os.path.exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"):
            self.version, self.base = 1, "/sys/fs/cgroup/cpu"
        else:
            sys.exit("--cpu-share: no cgroup v2 or v1 cpu controller at /sys/fs/cgroup "
                     "(docker run --cpus 0.0724 ... gives the same cap)")
        self.path = None

    def create(self):
        self.path = f"{self.base}/cold-start-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            os.mkdir(self.path)
            if self.version == 2:
                self._write("cpu.max", f"{self.quota_us} {self.PERIOD_US}")
            else:
                self._write("cpu.cfs_period_us", str(self.PERIOD_US))
                self._write("cpu.cfs_quota_us", str(self.quota_us))
        except OSError as e:
            sys.exit(f"--cpu-share: cannot create a cgroup under {self.base} ({e}); run as root, "
                     "or use docker run --cpus")

    def spawn(self, cmd, **kwargs):
        """Popen(cmd) born inside the cgroup, its CPU time from exec on being the binary's own.

        cgroup v1: the calling thread alone moves into the cgroup (`tasks`), spawns (vfork + exec,
        which it inherits) and moves back. A preexec_fn would do it, but it makes Python fork
        instead of vfork and run Python code in the child: ~3 ms of CPU counted to the binary
        and taken from its quota. cgroup v2 cannot hold one thread alone, so there it is the
        preexec_fn, and the CPU times include that."""
        if self.version == 2:
            procs = f"{self.path}/cgroup.procs"
            return subprocess.Popen(cmd, preexec_fn=lambda: open(procs, "w").write(str(os.getpid())), **kwargs)
        tid = str(threading.get_native_id())
        with open(f"/proc/self/task/{tid}/cgroup") as f:
            home = next(line.split(":", 2)[2].strip() for line in f if "cpu" in line.split(":")[1].split(","))
        self._write("tasks", tid)
        try:
            return subprocess.Popen(cmd, **kwargs)
        finally:
            with open(f"{self.base}{home.rstrip('/')}/tasks", "w") as f:
                f.write(tid)

    def _write(self, name, value):
        with open(f"{self.path}/{name}", "w") as f:
            f.write(value)

    def throttled_ms(self):
        with open(f"{self.path}/cpu.stat") as f:
            stat = dict(line.split() for line in f)
        if self.version == 2:
            return int(stat.get("throttled_usec", 0)) / 1000
        return int(stat.get("throttled_time", 0)) / 1e6

    def remove(self):
        if self.path:
            for _ in range(100):
                try:
                    os.rmdir(self.path)
                    break
                except OSError:
                    time.sleep(0.01)  # the killed process is still leaving the cgroup
            self.path = None


# ---------------------------------------------------------------------------- backends


def start_moto(tmp):
    """moto_server on a free loopback port, with the table of template.yaml."""
    import boto3
    import yaml

    exe = shutil.which("moto_server") or sys.exit("--moto: moto_server not found (pip install 'moto[server]')")
    port = free_port()
    log = open(os.path.join(tmp, "moto.log"), "w")
    proc = subprocess.Popen([exe, "-p", str(port)], stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        sys.exit("--moto: moto_server did not start")

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    with open(os.path.join(ROOT, "template.yaml")) as f:
        props = yaml.load(f, Loader)["Resources"]["Table"]["Properties"]
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=BASE_ENV["AWS_REGION"],
                          aws_access_key_id="x", aws_secret_access_key="x")
    client.create_table(
        TableName=BASE_ENV["TABLE_NAME"],
        BillingMode=props["BillingMode"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=[
            {k: g[k] for k in ("IndexName", "KeySchema", "Projection")} for g in props["GlobalSecondaryIndexes"]
        ],
    )
    return proc, endpoint


def make_certificates(tmp):
    """A throwaway CA and a certificate for 127.0.0.1/localhost signed by it (openssl CLI)."""
    def run(*cmd):
        subprocess.run(["openssl", *cmd], check=True, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    if not shutil.which("openssl"):
        sys.exit("--tls needs the openssl command")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=cold-start throwaway CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(tmp, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                "basicConstraints=critical,CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return [os.path.join(tmp, n) for n in ("ca.pem", "server.pem", "server.key")]


class Proxy:
    """scripts/tls_proxy.py in its own process, with its handshakes counted."""

    def __init__(self, upstream, cert, key):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "tls_proxy.py"), "--upstream", upstream, "--cert", cert, "--key", key],
            stdout=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline().split()
        if not first or first[0] != "listening":
            sys.exit("--tls: the proxy did not start")
        self.port = int(first[1])
        self.handshakes = 0
        self.requests = 0
        threading.Thread(target=self._count, daemon=True).start()

    def _count(self):
        for line in self.proc.stdout:
            if line.startswith("handshake"):
                self.handshakes += 1
            elif line.startswith("request"):
                self.requests += 1
            elif os.environ.get("COLD_START_DEBUG"):
                print("proxy:", line.strip(), file=sys.stderr)

    def settle(self):
        """The counts once the proxy has reported everything that happened so far."""
        last = None
        for _ in range(50):
            now = (self.handshakes, self.requests)
            if now == last:
                break
            last = now
            time.sleep(0.02)
        return last


# ---------------------------------------------------------------------------- the Runtime API


class Run:
    """What one process start observed."""

    def __init__(self, events):
        self.events = events  # answered in order to the first len(events) `next`s
        self.pid = None
        self.start = None
        self.first_next = None
        self.init_cpu_ns = None
        self.init_rss_kb = None
        self.sent = []
        self.responded = []
        self.cpu_at_response = []
        self.response = None
        self.responses = []
        self.error = None
        self.peak_rss_kb = None
        self.handshakes = None
        self.throttled_ms = None
        self.done = threading.Event()
        self.release = threading.Event()
        self.started = threading.Event()  # pid is set (a capped spawn can return after the first `next`)
        self.nexts = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    run = None  # set per run

    def setup(self):
        super().setup()
        # A reply's head and body are two writes: without this, Nagle holds the second until
        # the runtime's delayed ACK (40 ms), which warm invocations would measure.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def _reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        run = Handler.run
        if self.path != f"{RUNTIME}/invocation/next":
            return self._reply(404)
        now = time.perf_counter_ns()
        run.started.wait(10)
        run.nexts += 1
        if run.nexts == 1:
            run.first_next = now
            run.init_cpu_ns = cpu_ns(run.pid)
            run.init_rss_kb = status_kb(run.pid, "VmRSS")
        if run.nexts <= len(run.events):
            body = json.dumps(run.events[run.nexts - 1]).encode()
            headers = [
                ("Lambda-Runtime-Aws-Request-Id", str(uuid.uuid4())),
                ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 10_000)),
                ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:cold-start"),
                ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
                ("Content-Type", "application/json"),
            ]
            run.sent.append(time.perf_counter_ns())
            return self._reply(200, body, headers)
        if run.events:
            run.peak_rss_kb = status_kb(run.pid, "VmHWM")
        # Hold the long poll open, as Lambda does between invocations, until the run ends.
        run.done.set()
        run.release.wait(60)

    def do_POST(self):
        run = Handler.run
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.endswith("/response"):
            run.started.wait(10)
            run.responded.append(time.perf_counter_ns())
            run.cpu_at_response.append(cpu_ns(run.pid))
            run.response = body
            run.responses.append(body)
        elif self.path.endswith("/error"):
            run.error = body
            run.done.set()
        self._reply(202)


def measure(cmd, events, env, quiet, cap=None, proxy=None, timeout=60):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    run = Run(events)
    Handler.run = run
    env = dict(env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}")
    out = subprocess.DEVNULL if quiet else None
    before = proxy.settle() if proxy else None
    if cap:
        cap.create()
    run.start = time.perf_counter_ns()
    proc = (cap.spawn if cap else subprocess.Popen)(cmd, env=env, stdout=out, stderr=out)
    run.pid = proc.pid
    run.started.set()
    finished = run.done.wait(timeout)
    proc.kill()
    proc.wait()
    run.release.set()
    server.shutdown()
    server.server_close()
    if cap:
        run.throttled_ms = cap.throttled_ms()
        cap.remove()
    if proxy:
        after = proxy.settle()
        run.handshakes = after[0] - before[0]
    if not finished:
        sys.exit(f"{cmd[-1]}: no /invocation/next within {timeout} s (exit code {proc.returncode})")
    if run.error is not None:
        sys.exit(f"{cmd[-1]}: reported an error: {run.error.decode(errors='replace')}")
    if len(run.responded) != len(events):
        sys.exit(f"{cmd[-1]}: {len(events) - len(run.responded)} invocations got no response")
    run.init_ms = (run.first_next - run.start) / 1e6
    if events:
        run.invoke_ms = [(r - s) / 1e6 for s, r in zip(run.sent, run.responded)]
        cpu = [run.init_cpu_ns] + run.cpu_at_response
        run.invoke_cpu_ms = [(b - a) / 1e6 for a, b in zip(cpu, cpu[1:])]
        run.cold_ms = (run.responded[0] - run.start) / 1e6
    return run


def summary(values):
    values = sorted(values)
    return f"median {statistics.median(values):8.2f}  min {values[0]:8.2f}  max {values[-1]:8.2f}"


def with_id(event, cert_id):
    """The event with its {id} path parameter replaced by cert_id."""
    old = (event.get("pathParameters") or {}).get("id")
    if not old or not cert_id:
        return event
    return json.loads(json.dumps(event).replace(old, cert_id))


def seed(create_binary, count, env, tmp):
    """Creates `count` certifications through the real create function; returns the first id."""
    with open(os.path.join(ROOT, "events", "create-certification.json")) as f:
        event = json.load(f)
    run = measure([create_binary], [event] * count, env, True)
    ids = []
    for body in run.responses:
        response = json.loads(body)
        if response.get("statusCode") != 201:
            sys.exit(f"--seed: create answered {response.get('statusCode')}: {response.get('body')}")
        ids.append(json.loads(response["body"])["id"])
    return ids[0]


class Target:
    def __init__(self, label, cmd, event, size, peer=False, one_handshake=False):
        self.label, self.cmd, self.event, self.size, self.peer = label, cmd, event, size, peer
        self.one_handshake = one_handshake


def run_target(t, args, env, cap, proxy):
    events = [] if t.event is None else [t.event] * (1 + args.warm)
    measure(t.cmd, events, env, True)  # warm the page cache: Lambda's disk is not cold either
    runs = [measure(t.cmd, events, env, not args.show_output, cap, proxy) for _ in range(args.runs)]
    if os.environ.get("COLD_START_DEBUG"):
        for r in runs:
            print(f"    run: init {r.init_ms:.2f} ms, init CPU {r.init_cpu_ns / 1e6:.2f} ms, "
                  f"cold {getattr(r, 'cold_ms', 0):.2f} ms, throttled {r.throttled_ms} ms, handshakes {r.handshakes}")
    share = f", CPU share {cap.share:g} (cgroup v{cap.version})" if cap else ""
    size = f", {t.size / 2**20:.2f} MiB" if t.size else ""
    print(f"{t.label}  ({args.runs} runs{size}{share})")
    print(f"  init (start -> first next), ms : {summary([r.init_ms for r in runs])}")
    print(f"  init CPU time, ms              : {summary([r.init_cpu_ns / 1e6 for r in runs])}")
    print(f"  RSS at first next, MiB         : {summary([r.init_rss_kb / 1024 for r in runs])}")
    result = {"init_ms": statistics.median(r.init_ms for r in runs),
              "init_cpu_ms": statistics.median(r.init_cpu_ns / 1e6 for r in runs)}
    if t.event is not None:
        print(f"  first invocation, ms           : {summary([r.invoke_ms[0] for r in runs])}")
        print(f"  first invocation CPU, ms       : {summary([r.invoke_cpu_ms[0] for r in runs])}")
        print(f"  cold request (start->response) : {summary([r.cold_ms for r in runs])}")
        print(f"  peak RSS after it, MiB         : {summary([r.peak_rss_kb / 1024 for r in runs])}")
        result["cold_ms"] = statistics.median(r.cold_ms for r in runs)
        result["first_invoke_ms"] = statistics.median(r.invoke_ms[0] for r in runs)
        if args.warm:
            warm = [ms for r in runs for ms in r.invoke_ms[1:]]
            warm_cpu = [ms for r in runs for ms in r.invoke_cpu_ms[1:]]
            print(f"  warm invocation, ms            : {summary(warm)}  ({len(warm)})")
            print(f"  warm invocation CPU, ms        : {summary(warm_cpu)}")
            result["warm_p50_ms"] = statistics.median(warm)
        status = json.loads(runs[-1].response).get("statusCode")
        print(f"  response statusCode            : {status}")
        if any(json.loads(b).get("statusCode") != status for r in runs for b in r.responses):
            sys.exit(f"{t.label}: not every response had statusCode {status}")
    if cap:
        print(f"  throttled by the cap, ms       : {summary([r.throttled_ms for r in runs])}")
    if proxy:
        handshakes = [r.handshakes for r in runs]
        print(f"  TLS handshakes per cold start  : {summary(handshakes)}")
        if t.one_handshake and any(h != 1 for h in handshakes):
            print(f"  FAIL: expected one TLS handshake per cold start (the warm-up's connection reused "
                  f"by every invocation), got {handshakes}")
            result["failed"] = True
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binaries", nargs="*", metavar="BINARY[@EVENT.json]")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--invoke", metavar="EVENT.json", help="answer the first `next` with this event")
    ap.add_argument("--warm", type=int, default=0, metavar="N", help="then N warm invocations of the same event")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--moto", action="store_true", help="start moto_server with the table and point the functions at it")
    ap.add_argument("--seed", metavar="CREATE_BINARY", help="create certifications through this binary first")
    ap.add_argument("--seed-count", type=int, default=25)
    ap.add_argument("--tls", action="store_true", help="put a TLS-terminating keep-alive proxy in front of the endpoint")
    ap.add_argument("--cpu-share", type=float, help="cap each process at this share of one CPU, from spawn")
    ap.add_argument("--memory-sizes", help="comma separated MB: one capped pass each, and a table")
    ap.add_argument("--peer", action="store_true", help="also measure the Python boto3 yardstick (scripts/peer)")
    ap.add_argument("--show-output", action="store_true", help="let the binaries' logs through")
    args = ap.parse_args()
    extra_env = dict(kv.split("=", 1) for kv in args.env)

    tmp = tempfile.mkdtemp(prefix="cold-start-")
    children = []
    try:
        env = dict(BASE_ENV, **extra_env)
        if args.moto:
            moto, endpoint = start_moto(tmp)
            children.append(moto)
            env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
        seeded_id = seed(args.seed, args.seed_count, env, tmp) if args.seed else None
        proxy = None
        if args.tls:
            endpoint = env.get("AWS_ENDPOINT_URL_DYNAMODB") or sys.exit("--tls needs --moto or --env AWS_ENDPOINT_URL_DYNAMODB=http://...")
            upstream = endpoint.split("://", 1)[1].rstrip("/")
            ca, cert, key = make_certificates(tmp)
            proxy = Proxy(upstream, cert, key)
            children.append(proxy.proc)
            env["AWS_ENDPOINT_URL_DYNAMODB"] = f"https://127.0.0.1:{proxy.port}"
            env["SSL_CERT_FILE"] = ca  # what the Rust functions read (rustls-native-certs)
            env["AWS_CA_BUNDLE"] = ca  # what boto3 reads

        default_event = json.load(open(args.invoke)) if args.invoke else None
        targets = []
        for spec in args.binaries:
            path, _, event_path = spec.partition("@")
            event = json.load(open(event_path)) if event_path else default_event
            # One request per invocation (a GetItem): the warm-up's connection must serve it.
            targets.append(Target(spec, [os.path.abspath(path)], with_id(event, seeded_id) if event else None,
                                  os.path.getsize(path), one_handshake=bool(args.invoke and not event_path)))
        if args.peer:
            if default_event is None:
                sys.exit("--peer needs --invoke (a get-certification event)")
            targets.append(Target("python boto3 peer (scripts/peer/get_item.py)",
                                  [sys.executable, os.path.join(HERE, "peer", "get_item.py")],
                                  with_id(default_event, seeded_id), 0, peer=True))

        if not targets:
            sys.exit("nothing to measure: give a binary or --peer")
        if args.memory_sizes:
            passes = [(int(mb), int(mb) / MB_PER_VCPU) for mb in args.memory_sizes.split(",")]
        else:
            passes = [(int(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]), args.cpu_share)]
        table = []
        for mb, share in passes:
            pass_env = dict(env, AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(mb))
            cap = CpuCap(share) if share else None
            results = [run_target(t, args, pass_env, cap, proxy) for t in targets]
            table.append((mb, share, results))
            if args.peer:
                peer = results[-1]
                for t, r in zip(targets, results):
                    if not t.peer and "cold_ms" in r:
                        print(f"cold request, python peer / {t.label}: {peer['cold_ms'] / r['cold_ms']:.1f}x")
            print()

        if args.memory_sizes:
            labels = [os.path.basename(t.label.split("@")[0]) for t in targets]
            head = ["MemorySize", "CPU share"]
            for label in labels:
                head += [f"{label} cold request", f"{label} warm p50", f"{label} $ per 1M warm"]
            print("| " + " | ".join(head) + " |")
            print("|" + "---:|" * len(head))
            for mb, share, results in table:
                row = [f"{mb} MB", f"{share:.4f}"]
                for r in results:
                    warm = r.get("warm_p50_ms")
                    # Lambda bills each request's duration rounded up to the millisecond.
                    cost = (math.ceil(warm) / 1000 * mb / 1024 * PRICE_PER_GB_SECOND * 1e6
                            + PRICE_PER_MILLION_REQUESTS) if warm is not None else None
                    row += [f"{r['cold_ms']:.1f} ms" if "cold_ms" in r else "-",
                            f"{warm:.2f} ms" if warm is not None else "-",
                            f"${cost:.2f}" if cost is not None else "-"]
                print("| " + " | ".join(row) + " |")
        if any(r.get("failed") for _, _, results in table for r in results):
            sys.exit(1)
    finally:
        for child in children:
            child.kill()
            child.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
