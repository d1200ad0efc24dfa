#!/usr/bin/env python3
"""The reference for the webhook fan-out benchmark: Keylime's notifier model, one
thread posting a notification to each webhook in turn, synchronously, with a new
connection per request and up to 5 tries, nothing durable. Keylime itself posts to
a single configured URL; this is its loop applied to many subscribers, written with
the standard library only so it runs anywhere the benchmark does.

usage: keylime_style_notifier.py CA_FILE BODY_FILE < urls (one per line)
Prints {"started_ms": ..., "finished_ms": ..., "failed": N} on stdout, the times in
milliseconds of the monotonic clock (CLOCK_MONOTONIC on Linux), the clock the
benchmark driver and its receivers use, so that latencies can be taken across them.
"""
import http.client
import json
import ssl
import sys
import time
import urllib.parse


def post(url, body, context):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=10)
    try:
        connection.request("POST", parts.path or "/", body, {"content-type": "application/json"})
        return 200 <= connection.getresponse().status < 300
    finally:
        connection.close()


def main():
    context = ssl.create_default_context(cafile=sys.argv[1])
    with open(sys.argv[2], "rb") as f:
        body = f.read()
    urls = [line.strip() for line in sys.stdin if line.strip()]
    failed = 0
    started = time.monotonic_ns() / 1e6
    for url in urls:
        for attempt in range(5):
            try:
                if post(url, body, context):
                    break
            except OSError:
                pass
            time.sleep(0.1 * 2**attempt)
        else:
            failed += 1
    print(json.dumps({"started_ms": started, "finished_ms": time.monotonic_ns() / 1e6, "failed": failed}))


if __name__ == "__main__":
    main()
