#!/usr/bin/env python3
"""bench/label_stall.py: how long other clients wait while some ask for labels no cache holds.

    bench/label_stall.py --bin DIR [--seconds 10] [--clients 4]

Starts DIR/seclabeld on a fresh data directory with one product, then for --seconds runs
--clients threads that each ask for a different large label in turn (1200 dpi, a size never
asked before, so every one is drawn), while one probe asks GET /healthz every 10 ms. Prints
the probe's median, p99 and worst wait, and how the label requests were answered. Run it with
two builds side by side (e.g. before and after labels moved to the thread pool)."""
import argparse
import collections
import json
import os
import pathlib
import re
import subprocess
import tempfile
import threading
import time
import urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--bin", required=True)
ap.add_argument("--seconds", type=float, default=10)
ap.add_argument("--clients", type=int, default=4)
a = ap.parse_args()
bindir = pathlib.Path(a.bin)
tmp = pathlib.Path(tempfile.mkdtemp())
add = subprocess.run([bindir / "seclabel", "admin", "manufacturer", "add", "acme", "--name",
                      "Acme Devices Ltd", "--data", tmp / "d"], capture_output=True, text=True)
token = add.stdout.strip().splitlines()[-1]
srv = subprocess.Popen([bindir / "seclabeld", "--listen", "127.0.0.1:0", "--data", tmp / "d",
                        "--quiet"], stdout=subprocess.PIPE, text=True)
url = re.search(r"(http://\S+)", srv.stdout.readline()).group(1)
decl = {"product_name": "Camera", "product_model": "C-1", "support_date": "2031-12-31",
        "security_contact": "security@acme.example", "default_password": "unique_per_device"}
req = urllib.request.Request(url + "/v1/products/acme-cam", data=json.dumps(decl).encode(),
                             method="PUT", headers={"Authorization": "Bearer " + token,
                                                    "Content-Type": "application/json"})
urllib.request.urlopen(req).read()
stop = time.monotonic() + a.seconds
answers = collections.Counter()
counter = iter(range(10 ** 9))
lock = threading.Lock()


def labels():
    while time.monotonic() < stop:
        with lock:
            n = next(counter)
        w = 60 + n % 300 + (n // 300) / 1000  # a size never asked before
        try:
            with urllib.request.urlopen("%s/p/acme-cam/label.png?dpi=1200&width_mm=%.3f"
                                        % (url, w), timeout=30) as r:
                r.read()
                answers[r.status] += 1
        except urllib.error.HTTPError as e:
            answers[e.code] += 1


waits = []
threads = [threading.Thread(target=labels) for _ in range(a.clients)]
for t in threads:
    t.start()
while time.monotonic() < stop:
    t0 = time.monotonic()
    urllib.request.urlopen(url + "/healthz", timeout=30).read()
    waits.append((time.monotonic() - t0) * 1000)
    time.sleep(0.01)
for t in threads:
    t.join()
srv.terminate()
srv.wait()
waits.sort()
print("%s: /healthz waits over %d probes: median %.1f ms, p99 %.1f ms, worst %.1f ms; labels %s"
      % (bindir, len(waits), waits[len(waits) // 2], waits[int(len(waits) * .99)], waits[-1],
         dict(answers)))
