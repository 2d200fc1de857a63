"""seclabeld behind a reverse proxy (--trusted-proxy): the proxy's connections are not counted
under --max-conns-per-client, and the access log names the client from the last address of the
proxy's X-Forwarded-For. From a peer that is not trusted, X-Forwarded-For changes nothing.

The tests' own connections come from 127.0.0.1, so a server started with --trusted-proxy
127.0.0.1 sees the test as its proxy, and one started with another address sees it as a client.
"""
import re
import socket
import subprocess
import time

import pytest

from conftest import BIN, Server


def get(s, path="/healthz", headers=None):
    """One GET on its own connection (closed after); returns (status line, request id)."""
    req = "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" % path
    req += "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
    with socket.create_connection((s.host, s.port), timeout=10) as c:
        c.sendall((req + "\r\n").encode())
        data = b""
        while chunk := c.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    rid = re.search(r"^X-Request-Id: (\w+)", head, re.M)
    return head.split("\r\n", 1)[0], rid.group(1) if rid else None


def log_line(s, rid):
    """The access-log line of request rid (written as the answer is made: wait for it)."""
    deadline = time.time() + 10
    while True:
        for line in s.log().splitlines():
            if " %s " % rid in line:
                return line
        assert time.time() < deadline, s.log()
        time.sleep(0.02)


def client_in_log(s, headers=None):
    """The client address the access log gives for a GET sent with these headers."""
    status, rid = get(s, headers=headers)
    assert status.startswith("HTTP/1.1 200 "), status
    fields = log_line(s, rid).split(" ")
    assert fields[1] == rid and fields[3] == "GET" and fields[4] == "/healthz", fields
    return fields[2]


def hold(s, n):
    """n keep-alive connections, each answered once (so each is accepted and counted), or the
    status line of the first one refused."""
    held = []
    for _ in range(n):
        c = socket.create_connection((s.host, s.port), timeout=10)
        held.append(c)
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = c.recv(65536).split(b"\r\n", 1)[0].decode()
        if not first.startswith("HTTP/1.1 200 "):
            for h in held:
                h.close()
            return first
    return held


@pytest.mark.parametrize("trusted", ["127.0.0.1", "127.0.0.0/8", "::ffff:127.0.0.1"])
def test_a_trusted_proxy_holds_more_connections_than_a_client_may(tmp_path, trusted):
    s = Server(tmp_path / "d", "--max-conns-per-client", "2", "--trusted-proxy", "::1",
               "--trusted-proxy", trusted)
    try:
        held = hold(s, 6)
        assert isinstance(held, list), held  # all six answered: the proxy is not counted
        for c in held:
            c.close()
    finally:
        s.stop()


def test_an_untrusted_peer_is_still_one_client_whatever_it_forwards(tmp_path):
    s = Server(tmp_path / "d", "--max-conns-per-client", "2", "--trusted-proxy", "127.0.0.2",
               "--trusted-proxy", "10.0.0.0/8")
    try:
        held = hold(s, 2)
        assert isinstance(held, list), held
        # a third connection is over the limit, whatever it claims to be forwarding for
        status, _ = get(s, headers={"X-Forwarded-For": "203.0.113.9"})
        assert status.startswith("HTTP/1.1 503 "), status
        for c in held:
            c.close()
    finally:
        s.stop()


def test_the_access_log_names_the_client_the_trusted_proxy_appended(tmp_path):
    s = Server(tmp_path / "d", "--trusted-proxy", "127.0.0.1")
    try:
        assert client_in_log(s) == "127.0.0.1"  # no X-Forwarded-For: the proxy itself
        assert client_in_log(s, {"X-Forwarded-For": "203.0.113.9"}) == "203.0.113.9"
        # what the client wrote comes first and is not believed; the proxy's address is last
        assert client_in_log(s, {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}) == "203.0.113.9"
        assert client_in_log(s, {"X-Forwarded-For": "2001:DB8:0::7"}) == "2001:db8::7"
        # several field lines are one list: the last line holds its end
        status, rid = get(s, headers={"X-Forwarded-For": "198.51.100.1",
                                      "x-forwarded-for": "192.0.2.44"})
        assert log_line(s, rid).split(" ")[2] == "192.0.2.44"
        # a last element that is no address is ignored: the peer it is, never an earlier one
        for bad in ["203.0.113.9:5555", "198.51.100.1, unknown", "198.51.100.1,", "[2001:db8::7]",
                    "evil.example", "203.0.113.9 GET /forged 200"]:
            assert client_in_log(s, {"X-Forwarded-For": bad}) == "127.0.0.1", bad
    finally:
        s.stop()


def test_a_chain_of_trusted_proxies_is_read_from_the_right(tmp_path):
    """A TLS front (10.0.0.1) appends the client, a cache behind it (this test, 127.0.0.1)
    appends the front: trusting both names the client, however the client forged the start."""
    s = Server(tmp_path / "d", "--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.0.0.0/24")
    try:
        chain = "10.0.0.1, 198.51.100.1, 203.0.113.9, 10.0.0.1"
        assert client_in_log(s, {"X-Forwarded-For": chain}) == "203.0.113.9"
        # a malformed element on the way leaves the peer, not an address further left
        assert client_in_log(s, {"X-Forwarded-For": "203.0.113.9, bad, 10.0.0.1"}) == "127.0.0.1"
    finally:
        s.stop()


def test_an_untrusted_peers_x_forwarded_for_is_not_logged(tmp_path):
    for extra in [(), ("--trusted-proxy", "127.0.0.2")]:
        s = Server(tmp_path / ("d%d" % len(extra)), *extra)
        try:
            assert client_in_log(s, {"X-Forwarded-For": "203.0.113.9"}) == "127.0.0.1"
        finally:
            s.stop()


@pytest.mark.parametrize("value", ["localhost", "127.0.0.1:8080", "10.0.0.1/8", "::1/129", ""])
def test_a_trusted_proxy_must_be_an_address_or_network(tmp_path, value):
    r = subprocess.run([str(BIN / "seclabeld"), "--data", str(tmp_path / "d"), "--listen",
                        "127.0.0.1:0", "--trusted-proxy", value], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 2
    assert r.stderr.startswith("seclabeld: --trusted-proxy needs an IPv4 or IPv6 address"), r.stderr
