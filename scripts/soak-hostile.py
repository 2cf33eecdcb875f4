#!/usr/bin/env python3
"""The hostile-input soak: bad and hostile requests against cosmos-worker's control socket, then checks.

    python3 scripts/soak-hostile.py --socket PATH --pid PID [--requests N] [--concurrency C]
                                    [--connections K] [--slowloris S] [--slow-seconds T] [--big]

After a warm-up (the same mix, at most 2,000 requests, 100 connections at once and one body over the limit; the baseline RSS is
read after it), sends N requests
(default 10,000) from C threads (default 8), drawn in turn from every category below, then
opens K connections at once (default 500) that each send a bad request, while S slowloris connections
(default 20) trickle a byte every 2 s for T seconds (default 20). With --big it also sends one submit of
100,000 jobs (the last one invalid). Before and after it reads the queue job by job and the daemon's RSS.

It exits non-zero, saying why, if the daemon stopped answering, answered any request with a 5xx, changed the
queue, restarted (another PID), or ended with an RSS more than 20% above its starting value. The last line is
a table per category: requests, answers by class, connections closed without an answer, slowest answer.

Categories: random bytes; truncated HTTP; huge headers; a body over the 16 MiB limit; invalid, deeply nested
(10,000 levels) and wrongly typed JSON; invalid UTF-8; negative, huge and NaN numbers; ids with SQL and path
characters; inputs with `..` and links; 1,000 jobs in one array; odd methods and framing.
Only the Python standard library is used.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import random
import socket
import sys
import threading
import time

LIMIT = 16 * 1024 * 1024


def request(method, path, body=b"", headers=None, content_length=None):
    head = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close"]
    if body or content_length is not None:
        head.append(f"Content-Length: {len(body) if content_length is None else content_length}")
        head.append("Content-Type: application/json")
    head += headers or []
    return ("\r\n".join(head) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body


def submit(body):
    return request("POST", "/v1/jobs", body if isinstance(body, bytes) else body.encode())


def exchange(sock_path, payload, timeout=10.0, chunk=65536):
    """Sends payload and reads the answer; returns (status or None, seconds)."""
    start = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        try:
            for i in range(0, len(payload), chunk):
                s.sendall(payload[i:i + chunk])
            s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon closed early (say, on a body over the limit); read what it said
        data = b""
        while True:
            try:
                part = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not part:
                break
            data += part
            if len(data) > 1 << 20:
                break
        status = None
        if data.startswith(b"HTTP/1.1 ") and len(data) >= 12:
            try:
                status = int(data[9:12])
            except ValueError:
                status = None
        return status, time.monotonic() - start
    except socket.timeout:
        return "timeout", time.monotonic() - start
    finally:
        s.close()


def api(sock_path, method, path):
    status, _ = exchange(sock_path, request(method, path), timeout=30)
    return status


def get_json(sock_path, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(sock_path)
    s.sendall(request("GET", path))
    data = b""
    while True:
        part = s.recv(65536)
        if not part:
            break
        data += part
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    return json.loads(body)


def queue_snapshot(sock_path):
    jobs = get_json(sock_path, "/v1/jobs")["jobs"]
    return sorted((j["id"], j["state"], j["priority"], j["position"], j["attempts"]) for j in jobs)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def nested(depth):
    return "[" * depth + "]" * depth


def generators(tmp):
    """Every category: a name and a function returning one request's bytes."""
    good = {"image": "cosmos-test/busybox:latest", "command": ["true"]}
    link = os.path.join(tmp, "shadow-link")
    if not os.path.lexists(link):
        os.symlink("/etc/shadow", link)
    valid = request("POST", "/v1/jobs", json.dumps({"jobs": [good]}).encode())

    def bad_array(n):
        return json.dumps({"jobs": [dict(good, name=f"x{i}") for i in range(n - 1)] + [{"image": 5}]})

    thousand = submit(bad_array(1000))
    typed = [
        {"jobs": "x"}, {"jobs": [1, 2]}, {"jobs": [{"image": 5}]}, {"jobs": [dict(good, gpus="two")]},
        {"jobs": [dict(good, env=[1])]}, {"jobs": [dict(good, controls={"edge": "x"})]},
        {"jobs": [dict(good, command="true")]}, {"jobs": [dict(good, selector={"a": 1})]},
    ]
    cases = {
        "random bytes": lambda r: bytes(r.getrandbits(8) for _ in range(r.randint(1, 4096))),
        "truncated http": lambda r: valid[: r.randint(1, len(valid) - 1)],
        "huge headers": lambda r: request("GET", "/v1/status", headers=[
            "X-Big: " + "a" * r.choice([64 * 1024, 1024 * 1024])] if r.random() < 0.5 else [
            f"X-H{i}: {i}" for i in range(10000)]),
        "json invalid": lambda r: submit(r.choice([
            "{", "{\"jobs\": [", "null", "[]", "{\"jobs\": [{]}", "\"jobs\"", "{\"jobs\": [{\"image\": }]}",
            "{\"jobs\": [" + ",".join(["{}"] * 10) + ",]}"])),
        "json nested": lambda r: submit(r.choice([
            nested(10000), "{\"jobs\": " + nested(10000) + "}",
            "{\"jobs\": [{\"image\": \"i\", \"params\": " + "{\"a\": " * 10000 + "1" + "}" * 10000 + "}]}"])),
        "json types": lambda r: submit(json.dumps(r.choice(typed))),
        "invalid utf-8": lambda r: r.choice([
            submit(b'{"jobs": [{"image": "\xff\xfe", "command": ["true"]}]}'),
            submit(b'{"jobs": [{"name": "\xc3\x28", "image": "cosmos-test/busybox:latest"}]}'),
            b"GET /v1/jobs/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /v1/jobs?state=\xc3\x28 HTTP/1.1\r\nHost: x\r\n\r\n"]),
        "numbers": lambda r: submit(r.choice([
            '{"jobs": [{"image": "cosmos-test/busybox:latest", "gpus": -1}]}',
            '{"jobs": [{"image": "cosmos-test/busybox:latest", "gpus": 1e308}]}',
            '{"jobs": [{"image": "cosmos-test/busybox:latest", "gpus": NaN}]}',
            '{"jobs": [{"image": "cosmos-test/busybox:latest", "priority": 99999999999999999999999}]}',
            '{"jobs": [{"image": "cosmos-test/busybox:latest", "retries": -5}]}',
            '{"jobs": [{"image": "cosmos-test/busybox:latest", "controls": {"edge": Infinity}}]}',
            '{"jobs": [{"image": "cosmos-test/busybox:latest", "min_gpu_memory_gib": -1e-300}]}'])),
        "ids": lambda r: r.choice([
            request("GET", "/v1/jobs/'%20OR%201=1--"), request("POST", "/v1/jobs/x'%3BDROP%20TABLE%20job%3B--/cancel"),
            request("GET", "/v1/jobs/..%2F..%2Fetc%2Fpasswd/logs"), request("GET", "/v1/jobs/../../etc/passwd"),
            request("POST", "/v1/batches/%00/cancel"), request("GET", "/v1/jobs/" + "a" * 10000),
            request("POST", "/v1/jobs/abcdefghjk/move", b'{"to": "before", "anchor": "\' OR 1=1"}'),
            request("GET", "/v1/events?since=-1&job=%27%3B--")]),
        "inputs": lambda r: submit(json.dumps({"jobs": [dict(good, inputs=[r.choice([
            "/tmp/../etc/shadow", "../../etc/passwd", link, "/proc/self/environ", "/dev/zero", tmp,
            "/tmp/" + "a/" * 2000 + "x"])])]})),
        "1,000 jobs": lambda r: thousand,
        "methods and framing": lambda r: r.choice([
            b"BREW /v1/jobs HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /v1/status\r\n\r\n", b"GET http://evil/v1/status HTTP/1.1\r\n\r\n",
            b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
            b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 500\r\n\r\n{}",
            b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}",
            b"GET /v1/status HTTP/9.9\r\nHost: x\r\n\r\n", b"\r\n\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 5]),
    }
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--slowloris", type=int, default=20)
    parser.add_argument("--slow-seconds", type=float, default=20)
    parser.add_argument("--big", action="store_true", help="also send 100,000 jobs in one array")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rss-limit", type=float, default=20, help="percent of growth allowed (default 20)")
    parser.add_argument("--tmp", default="/tmp")
    args = parser.parse_args()
    sock = args.socket
    problems = []

    cases = generators(args.tmp)
    names = list(cases)
    before = queue_snapshot(sock)
    rss_before = rss_kib(args.pid)
    stats = {name: collections.Counter() for name in names + ["over 16 MiB", "100,000 jobs", "concurrent", "slowloris"]}
    slowest = collections.defaultdict(float)
    lock = threading.Lock()

    def record(name, status, seconds):
        with lock:
            key = "closed" if status is None else "timeout" if status == "timeout" else f"{status // 100}xx"
            stats[name][key] += 1
            stats[name]["requests"] += 1
            slowest[name] = max(slowest[name], seconds)

    def one(i, into=None):
        r = random.Random(args.seed * 1_000_003 + i)
        name = names[i % len(names)]
        status, seconds = exchange(sock, cases[name](r))
        record(into or name, status, seconds)

    def concurrent_connections(count, name):
        """`count` connections open at once, then each sends a bad request."""
        conns = []
        for _ in range(count):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(30)
            try:
                s.connect(sock)
                conns.append(s)
            except OSError:
                record(name, None, 0)
                s.close()
        payload = submit('{"jobs": [{"image": 5}]}')
        for s in conns:
            try:
                s.sendall(payload)
            except OSError:
                pass
        for s in conns:
            start = time.monotonic()
            try:
                data = s.recv(64)
                status = int(data[9:12]) if data.startswith(b"HTTP/1.1 ") else None
            except (OSError, ValueError):
                status = None
            record(name, status, time.monotonic() - start)
            s.close()

    # Warm up with the mix (at most 2,000 requests) and 100 connections at once, then read the
    # baseline: the first burst a daemon ever sees raises its RSS once (allocator arenas, event-loop buffers,
    # thread stacks); what must come back is what a burst adds on top of that.
    stats["warm-up"] = collections.Counter()
    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(lambda i: one(i, "warm-up"), range(min(args.requests, 2000))))
    concurrent_connections(min(args.connections, 100), "warm-up")
    status, seconds = exchange(sock, request("POST", "/v1/jobs", b" " * (LIMIT + 1)), timeout=60)
    record("warm-up", status, seconds)
    time.sleep(1)
    before = queue_snapshot(sock)
    rss_before = rss_kib(args.pid)

    t0 = time.monotonic()
    # Slowloris connections trickle in the background for the whole run.
    stop_slow = threading.Event()

    def slowloris(k):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        start = time.monotonic()
        status = "open"
        try:
            s.connect(sock)
            for byte in b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"jobs\": [":
                if stop_slow.is_set() or time.monotonic() - start > args.slow_seconds:
                    break
                s.sendall(bytes([byte]))
                stop_slow.wait(2)
        except OSError:
            status = None  # the daemon closed it: fine
        finally:
            s.close()
        record("slowloris", 200 if status == "open" else None, time.monotonic() - start)

    slow_threads = [threading.Thread(target=slowloris, args=(k,)) for k in range(args.slowloris)]
    for t in slow_threads:
        t.start()
    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(one, range(args.requests)))
    # Over the limit: 16 MiB + 1, announced and sent.
    for _ in range(3):
        status, seconds = exchange(sock, request("POST", "/v1/jobs", b" " * (LIMIT + 1)), timeout=60)
        record("over 16 MiB", status, seconds)
    if args.big:
        good = {"image": "cosmos-test/busybox:latest", "command": ["true"]}
        body = json.dumps({"jobs": [dict(good, name=f"x{i}") for i in range(99999)] + [{"image": 5}]}).encode()
        status, seconds = exchange(sock, submit(body), timeout=300)
        record("100,000 jobs", status, seconds)
    # K connections open at once, then each sends a bad request.
    concurrent_connections(args.connections, "concurrent")
    stop_slow.set()
    for t in slow_threads:
        t.join()
    elapsed = time.monotonic() - t0

    # The checks.
    status = api(sock, "GET", "/v1/status")
    if status != 200:
        problems.append(f"the daemon does not answer /v1/status afterwards (got {status})")
    after = queue_snapshot(sock) if status == 200 else None
    if after is not None and after != before:
        changed = set(after) ^ set(before)
        problems.append(f"the queue changed: {len(changed)} rows differ, e.g. {sorted(changed)[:3]}")
    try:
        os.kill(args.pid, 0)
    except OSError:
        problems.append(f"the daemon (pid {args.pid}) is gone")
    # Memory is given back lazily: look for up to 20 s.
    rss_after = rss_kib(args.pid)
    deadline = time.monotonic() + 20
    allowed = 1 + args.rss_limit / 100
    while rss_after > rss_before * allowed and time.monotonic() < deadline:
        time.sleep(1)
        rss_after = rss_kib(args.pid)
    if rss_after > rss_before * allowed:
        problems.append(f"RSS {rss_after} KiB is more than {args.rss_limit:g}% above the start ({rss_before} KiB)")
    fives = sum(c["5xx"] for c in stats.values())  # the warm-up's count too
    if fives:
        problems.append(f"{fives} answers were 5xx: a server fault, not a refusal")

    total = sum(c["requests"] for name, c in stats.items() if name != "warm-up")
    print(f"{total} hostile requests in {elapsed:.1f} s; RSS {rss_before} KiB before, {rss_after} KiB after "
          f"({100.0 * (rss_after - rss_before) / max(rss_before, 1):+.1f}%); queue {'unchanged' if after == before else 'CHANGED'} "
          f"({len(before)} jobs)")
    print(f"{'category':<20}{'requests':>9}{'2xx':>6}{'4xx':>7}{'5xx':>5}{'closed':>8}{'timeout':>8}{'slowest s':>11}")
    for name, c in stats.items():
        if c["requests"]:
            print(f"{name:<20}{c['requests']:>9}{c['2xx']:>6}{c['4xx']:>7}{c['5xx']:>5}{c['closed']:>8}{c['timeout']:>8}"
                  f"{slowest[name]:>11.2f}")
    for problem in problems:
        print("FAIL:", problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
