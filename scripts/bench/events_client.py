#!/usr/bin/env python3
"""One event-stream subscriber for the events benchmark: reads GET /v1/events over the control socket.

Prints, when it has seen every sequence number up to --until (or on --timeout), one JSON line:
{"messages": N, "events": N, "seqs": [...], "latencies_ms": [...]} where a latency is the time from an
entry's commit timestamp (`at`) to the moment this client read the message that carried it.
Standard library only.
"""
import argparse
import datetime
import json
import socket
import sys
import time


def parse_at(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--since", type=int, default=0)
    parser.add_argument("--until", type=int, required=True, help="stop after this sequence number")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--ready", help="a file to create once the stream is open")
    args = parser.parse_args()

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(args.socket)
    sock.sendall(
        f"GET /v1/events?follow=true&since={args.since} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    sock.settimeout(1.0)
    buffer = b""
    headers_done = False
    messages = 0
    seqs = []
    latencies = []
    deadline = time.time() + args.timeout
    block = {}
    if args.ready:
        open(args.ready, "w").close()
    while time.time() < deadline and (not seqs or seqs[-1] < args.until):
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        now = time.time()
        buffer += chunk
        if not headers_done:
            if b"\r\n\r\n" not in buffer:
                continue
            buffer = buffer.split(b"\r\n\r\n", 1)[1]
            headers_done = True
        # Chunked transfer encoding: drop the chunk-size lines (hex digits alone on a line).
        lines = buffer.split(b"\n")
        buffer = lines.pop()
        for raw in lines:
            line = raw.rstrip(b"\r").decode()
            if line and all(c in "0123456789abcdefABCDEF" for c in line):
                continue
            if line == "":
                if "data" in block and block.get("event") not in ("resync", "cursor"):
                    messages += 1
                    data = json.loads(block["data"])
                    for entry in data.get("events", [data]):
                        seqs.append(entry["seq"])
                        latencies.append((now - parse_at(entry["at"])) * 1000)
                block = {}
            elif line.startswith(":"):
                continue
            elif ":" in line:
                field, value = line.split(":", 1)
                block[field] = value[1:] if value.startswith(" ") else value
    print(json.dumps({"messages": messages, "events": len(seqs), "seqs": seqs, "latencies_ms": latencies}))


if __name__ == "__main__":
    sys.exit(main())
