"""Crash safety: writers of two manufacturers send PUTs, batches, withdrawals and attempts on the
other maker's products while seclabeld is killed with SIGKILL at random moments. After each kill
`seclabel admin verify` finds the database sound, and after each restart on the same data
directory every write the server acknowledged is there as acknowledged (the product's version
is at least the acknowledged one, and that version holds what was sent), and no refused write
is: the other maker's products never change, a withdrawn product never changes again.

The server starts each time with a 1 MiB map, so kills also land while the map grows and
restarts begin with a map smaller than the data.

SECLABEL_CRASH_CYCLES sets the number of kill/restart cycles (default 4, about 10 s);
SECLABEL_CRASH_SEED replays a run (the seed is printed; run pytest with -s to see the totals).
"""
import os
import random
import signal
import threading
import time

import requests

from conftest import Server, add_manufacturer, cli, declaration

CYCLES = int(os.environ.get("SECLABEL_CRASH_CYCLES", "4"))
SEED = int(os.environ.get("SECLABEL_CRASH_SEED", str(random.randrange(1 << 30))))
MAKERS = {"acme": "Acme Devices Ltd", "nordlicht": "Nordlicht Elektronik GmbH"}
WRITERS_PER_MAKER = 2
PRODUCTS_PER_WRITER = 40
TARGETS_PER_MAKER = 4  # written once; the other maker's attempts aim at them
SERVER_ARGS = ("--quiet", "--map-size", "1M")


def decl(maker, pid, tag):
    return declaration(id=pid, product_name="%s device %s" % (maker, tag),
                       product_model="M-" + tag, manufacturer_name=MAKERS[maker])


def content(d):
    """The part of a declaration or record that a version must hold as sent."""
    return (d["product_name"], d["product_model"])


class Ledger:
    """What the server acknowledged, shared by the writer threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}       # (id, version) -> content acknowledged for it, or "withdrawn"
        self.latest = {}     # id -> highest acknowledged version
        self.withdrawn = {}  # id -> version of its acknowledged withdrawal
        self.unchecked = []  # (id, version) acknowledged since the last check
        self.mismatch = []   # one version acknowledged with two contents
        self.unexpected = []  # answers that no write here should get
        self.acks = self.refused = 0

    def ack(self, pid, version, what):
        with self.lock:
            key = (pid, version)
            if key not in self.sent:
                self.sent[key] = what
                self.unchecked.append(key)
            elif self.sent[key] != what:  # "unchanged" repeats a version: the same content
                self.mismatch.append((key, self.sent[key], what))
            self.latest[pid] = max(self.latest.get(pid, 0), version)
            if what == "withdrawn":
                self.withdrawn[pid] = version
            self.acks += 1

    def refuse(self):
        with self.lock:
            self.refused += 1

    def odd(self, what, r):
        with self.lock:
            self.unexpected.append((what, r.status_code, r.text[:300]))

    def take_unchecked(self):
        with self.lock:
            keys, self.unchecked = self.unchecked, []
            return keys


class Control:
    """The server's current URL, and a pause the main thread uses around kills and checks."""

    def __init__(self, url):
        self.url = url
        self.running = threading.Event()
        self.running.set()
        self.done = False
        self.writers = []

    def pause(self):
        """Returns once no writer has a request in flight."""
        self.running.clear()
        for w in self.writers:
            with w.busy:
                pass

    def resume(self, url):
        self.url = url
        self.running.set()


class Writer(threading.Thread):
    def __init__(self, n, maker, token, targets, ledger, ctl):
        super().__init__(daemon=True)
        self.maker, self.token, self.targets = maker, token, targets
        self.ledger, self.ctl = ledger, ctl
        self.rnd = random.Random(SEED * 100 + n)
        self.ids = ["%s-w%d-%d" % (maker, n, k) for k in range(PRODUCTS_PER_WRITER)]
        self.withdraw_sent = set()  # a write to these may meet product_withdrawn
        self.busy = threading.Lock()
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Bearer " + token
        self.tags = 0

    def tag(self):
        self.tags += 1
        return "%s-%d-%d" % (self.name, self.tags, self.rnd.randrange(1 << 30))

    def run(self):
        while not self.ctl.done:
            if not self.ctl.running.wait(0.1):
                continue
            with self.busy:
                if not self.ctl.running.is_set():
                    continue
                op = self.rnd.random()
                try:
                    if op < 0.5:
                        self.put()
                    elif op < 0.87:
                        self.batch()
                    elif op < 0.9:
                        self.withdraw()
                    else:
                        self.cross_put()
                except requests.RequestException:
                    pass  # the server died under the request: its outcome is unknown

    def withdrawn_answer(self, pid, error):
        return error == "product_withdrawn" and pid in self.withdraw_sent

    def put(self):
        pid = self.rnd.choice(self.ids)
        d = decl(self.maker, pid, self.tag())
        r = self.http.put(self.ctl.url + "/v1/products/" + pid, json=d, timeout=30)
        if r.status_code in (200, 201):
            self.ledger.ack(pid, r.json()["version"], content(d))
        elif not (r.status_code == 409 and self.withdrawn_answer(pid, r.json().get("error"))):
            self.ledger.odd("PUT " + pid, r)

    def batch(self):
        pids = self.rnd.sample(self.ids, self.rnd.randint(1, 12))
        products = [decl(self.maker, pid, self.tag()) for pid in pids]
        cross = self.rnd.random() < 0.3
        if cross:  # one of the other maker's products in the middle
            target = self.rnd.choice(self.targets)
            products.insert(self.rnd.randrange(len(products) + 1),
                            decl(self.maker, target, "hijack-" + self.tag()))
        r = self.http.post(self.ctl.url + "/v1/batch", json={"products": products}, timeout=30)
        if r.status_code != 200:
            self.ledger.odd("batch", r)
            return
        for d, res in zip(products, r.json()["results"]):
            pid = d["id"]
            if pid in self.targets:
                if res["result"] == "failed" and res.get("error") == "forbidden":
                    self.ledger.refuse()
                else:
                    self.ledger.odd("batch item " + pid, r)
            elif res["result"] in ("created", "updated", "unchanged"):
                self.ledger.ack(pid, res["version"], content(d))
            elif not self.withdrawn_answer(pid, res.get("error")):
                self.ledger.odd("batch item " + pid, r)

    def withdraw(self):
        with self.ledger.lock:
            known = [p for p in self.ids if p in self.ledger.latest]
        pids = [p for p in known if p not in self.withdraw_sent]
        if len(pids) <= PRODUCTS_PER_WRITER // 2:  # keep half of them writable
            return
        pid = self.rnd.choice(pids)
        self.withdraw_sent.add(pid)
        r = self.http.post(self.ctl.url + "/v1/products/%s/withdraw" % pid, timeout=30)
        if r.status_code == 200 and r.json()["status"] == "withdrawn":
            self.ledger.ack(pid, r.json()["version"], "withdrawn")
        else:
            self.ledger.odd("withdraw " + pid, r)

    def cross_put(self):
        pid = self.rnd.choice(self.targets)
        r = self.http.put(self.ctl.url + "/v1/products/" + pid,
                          json=decl(self.maker, pid, "hijack-" + self.tag()), timeout=30)
        if r.status_code == 403 and r.json()["error"] == "forbidden":
            self.ledger.refuse()
        else:
            self.ledger.odd("PUT (other maker's) " + pid, r)


def lookup(server, ids):
    """id -> current record, for ids that exist."""
    out = {}
    ids = list(ids)
    for i in range(0, len(ids), 1000):
        r = server.post("/v1/lookup", json={"ids": ids[i:i + 1000]})
        assert r.status_code == 200, r.text[:300]
        for res in r.json()["results"]:
            if "record" in res:
                out[res["id"]] = res["record"]
    return out


def check(server, ledger, targets, keys):
    """Every acknowledged (id, version) in keys holds what was acknowledged; every product is
    at least at its acknowledged version, a withdrawn one exactly there; the other maker's
    targets are as first written."""
    for pid, version in keys:
        r = server.get("/v1/products/%s/versions/%d" % (pid, version))
        assert r.status_code == 200, (pid, version, r.text[:300])
        rec, want = r.json(), ledger.sent[(pid, version)]
        if want == "withdrawn":
            assert rec["status"] == "withdrawn", (pid, version)
        else:
            assert content(rec) == want, (pid, version, content(rec), want)
    current = lookup(server, list(ledger.latest) + list(targets))
    for pid, version in ledger.latest.items():
        assert pid in current, pid
        assert current[pid]["version"] >= version, (pid, current[pid]["version"], version)
        if pid in ledger.withdrawn:
            assert current[pid]["version"] == ledger.withdrawn[pid], pid
            assert current[pid]["status"] == "withdrawn", pid
    for pid, (maker, first) in targets.items():
        rec = current[pid]
        assert (rec["version"], rec["manufacturer"], content(rec)) == (1, maker, first), pid
    return len(keys)


def assert_verifies(data):
    r = cli("admin", "verify", "--data", data)
    assert r.returncode == 0 and "verify: 0 problems" in r.stdout, r.stdout + r.stderr


def test_acknowledged_writes_survive_sigkill(tmp_path):
    print("\ncrash test: seed %d, %d cycles" % (SEED, CYCLES))
    rnd = random.Random(SEED)
    data = tmp_path / "data"
    server = Server(data, *SERVER_ARGS)
    ledger = Ledger()
    ctl = Control(server.url)
    try:
        tokens = {m: add_manufacturer(data, m, name) for m, name in MAKERS.items()}
        targets = {}  # id -> (maker, content)
        for maker in MAKERS:
            for k in range(TARGETS_PER_MAKER):
                pid = "%s-target-%d" % (maker, k)
                d = decl(maker, pid, "original-%d" % k)
                assert server.put("/v1/products/" + pid, tokens[maker], json=d).status_code == 201
                targets[pid] = (maker, content(d))
        n = 0
        for maker in MAKERS:
            others = [p for p, (m, _) in targets.items() if m != maker]
            for _ in range(WRITERS_PER_MAKER):
                ctl.writers.append(Writer(n, maker, tokens[maker], others, ledger, ctl))
                n += 1
        for w in ctl.writers:
            w.start()
        checked = 0
        for cycle in range(CYCLES):
            time.sleep(rnd.uniform(0.2, 1.5))
            server.stop(signal.SIGKILL)
            ctl.pause()
            assert_verifies(data)
            server = Server(data, *SERVER_ARGS)
            checked += check(server, ledger, targets, ledger.take_unchecked())
            assert not ledger.mismatch, ledger.mismatch[:3]
            if cycle + 1 < CYCLES:
                ctl.resume(server.url)
        ctl.done = True
        for w in ctl.writers:
            w.join()
        # Everything once more, old acknowledgements included, after the last restart.
        check(server, ledger, targets, list(ledger.sent))
    finally:
        ctl.done = True
        ctl.running.set()
        server.stop()
    assert not ledger.unexpected, ledger.unexpected[:5]
    assert not ledger.mismatch, ledger.mismatch[:3]
    assert ledger.acks > 0 and ledger.refused > 0 and ledger.withdrawn
    print("crash test: %d cycles, %d acknowledged writes (%d versions checked after a kill), "
          "%d refused attempts on the other maker's products, %d withdrawals"
          % (CYCLES, ledger.acks, checked, ledger.refused, len(ledger.withdrawn)))
