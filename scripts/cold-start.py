#!/usr/bin/env python3
"""Cold-start init time of Lambda binaries, measured locally.

Serves the Lambda Runtime API on loopback, starts the binary with AWS_LAMBDA_RUNTIME_API
pointing at it, and measures what Lambda reports as Init Duration: from process start to
the runtime's first `GET /2018-06-01/runtime/invocation/next`. It also reads the CPU time
the process used by then (all threads) and its resident memory.

With --invoke EVENT.json the first `next` is answered with that event, and the harness also
measures the first invocation (the response time, and the peak RSS once the runtime asks for
the next event). Point the binary at a DynamoDB with --env AWS_ENDPOINT_URL_DYNAMODB=...

    scripts/cold-start.py --runs 30 target/release/get-certification /tmp/hello/target/release/hello
    scripts/cold-start.py --invoke events/get-certification.json \\
        --env AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:5000 target/release/get-certification

Only the standard library; Linux (/proc) only.
"""

import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid

RUNTIME = "/2018-06-01/runtime"

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
    for tid in os.listdir(f"/proc/{pid}/task"):
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


class Run:
    """What one process start observed."""

    def __init__(self, event):
        self.event = event
        self.pid = None
        self.first_next = None
        self.init_cpu_ns = None
        self.init_rss_kb = None
        self.sent = None
        self.responded = None
        self.response = None
        self.error = None
        self.peak_rss_kb = None
        self.done = threading.Event()
        self.release = threading.Event()
        self.nexts = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    run = None  # set per run

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
        run.nexts += 1
        if run.nexts == 1:
            run.first_next = now
            run.init_cpu_ns = cpu_ns(run.pid)
            run.init_rss_kb = status_kb(run.pid, "VmRSS")
            if run.event is not None:
                body = json.dumps(run.event).encode()
                headers = [
                    ("Lambda-Runtime-Aws-Request-Id", str(uuid.uuid4())),
                    ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 10_000)),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:cold-start"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
                    ("Content-Type", "application/json"),
                ]
                run.sent = time.perf_counter_ns()
                return self._reply(200, body, headers)
        else:
            run.peak_rss_kb = status_kb(run.pid, "VmHWM")
        # Hold the long poll open, as Lambda does between invocations, until the run ends.
        run.done.set()
        run.release.wait(30)

    def do_POST(self):
        run = Handler.run
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.endswith("/response"):
            run.responded = time.perf_counter_ns()
            run.response = body
        elif self.path.endswith("/error"):
            run.error = body
            run.done.set()
        self._reply(202)


def measure(binary, event, extra_env, quiet):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    run = Run(event)
    Handler.run = run
    env = dict(BASE_ENV, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}", **extra_env)
    out = subprocess.DEVNULL if quiet else None
    start = time.perf_counter_ns()
    proc = subprocess.Popen([binary], env=env, stdout=out, stderr=out)
    run.pid = proc.pid
    finished = run.done.wait(15)
    proc.kill()
    proc.wait()
    run.release.set()
    server.shutdown()
    server.server_close()
    if not finished:
        sys.exit(f"{binary}: no /invocation/next within 15 s (exit code {proc.returncode})")
    if run.error is not None:
        sys.exit(f"{binary}: reported an error: {run.error.decode(errors='replace')}")
    run.init_ms = (run.first_next - start) / 1e6
    return run


def summary(values):
    values = sorted(values)
    return f"median {statistics.median(values):7.2f}  min {values[0]:7.2f}  max {values[-1]:7.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--invoke", metavar="EVENT.json", help="answer the first `next` with this event")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--show-output", action="store_true", help="let the binaries' logs through")
    args = ap.parse_args()
    event = json.load(open(args.invoke)) if args.invoke else None
    extra_env = dict(kv.split("=", 1) for kv in args.env)

    for binary in args.binaries:
        measure(binary, event, extra_env, True)  # warm the page cache: Lambda's disk is not cold either
        runs = [measure(binary, event, extra_env, not args.show_output) for _ in range(args.runs)]
        print(f"{binary}  ({args.runs} runs, {os.path.getsize(binary) / 2**20:.2f} MiB)")
        print(f"  init (start -> first next), ms : {summary([r.init_ms for r in runs])}")
        print(f"  init CPU time, ms              : {summary([r.init_cpu_ns / 1e6 for r in runs])}")
        print(f"  RSS at first next, MiB         : {summary([r.init_rss_kb / 1024 for r in runs])}")
        if event is not None:
            answered = [r for r in runs if r.responded is not None]
            if len(answered) != len(runs):
                sys.exit(f"{binary}: {len(runs) - len(answered)} invocations got no response")
            print(f"  first invocation, ms           : {summary([(r.responded - r.sent) / 1e6 for r in answered])}")
            print(f"  peak RSS after it, MiB         : {summary([r.peak_rss_kb / 1024 for r in answered])}")
            status = json.loads(answered[-1].response).get("statusCode")
            print(f"  response statusCode            : {status}")


if __name__ == "__main__":
    main()
