"""seclabeld's messages and access log as structured journal records (registry/server/journal.h).

No journald runs here, so the test plays it: seclabeld runs in a private mount namespace
(unshare, as an unprivileged user may) where /run/systemd/journal is the test's own directory,
and the test listens on its socket for what libsystemd's sd_journal_send writes there (the
journal's native protocol, systemd's JOURNAL_NATIVE_PROTOCOL document), while seclabeld's stderr
is a file whose device and inode JOURNAL_STREAM names, as systemd sets them for a service."""
import os
import re
import shutil
import socket
import struct
import subprocess

import pytest
import requests

from conftest import BIN, add_manufacturer, declaration

# In the namespace: a tmpfs over /run/systemd with journal -> the test's directory; then seclabeld.
WRAP = ('mount -t tmpfs tmpfs /run/systemd && ln -s "$JOURNAL_DIR" /run/systemd/journal '
        '&& exec "$@"')


def can_unshare():
    if not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /run/systemd"],
                       capture_output=True, timeout=30)
    return r.returncode == 0


needs_unshare = pytest.mark.skipif(
    not can_unshare(), reason="unshare -rm (a private mount namespace) is not allowed here: "
    "the journal's socket cannot be given to seclabeld")


def parse_native(data):
    """One datagram of the journal's native protocol into {field: value} (KEY=VALUE lines, or
    KEY, a little-endian 64-bit length and the value for values holding a newline)."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            v = data[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        fields[k.decode()] = v.decode()
    return fields


class JournalServer:
    """seclabeld with the test as its journal."""

    def __init__(self, tmp_path, *extra, namespace=True, stream=True):
        self.dir = tmp_path / "journal"
        self.dir.mkdir()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.dir / "socket"))
        self.sock.settimeout(10)
        self.err_path = tmp_path / "stderr"
        self.err = open(self.err_path, "w")
        st = os.fstat(self.err.fileno())
        env = dict(os.environ, JOURNAL_DIR=str(self.dir))
        if stream:  # True: stderr's, as systemd sets it; a string: that one
            env["JOURNAL_STREAM"] = stream if stream is not True else "%d:%d" % (st.st_dev,
                                                                                  st.st_ino)
        argv = [str(BIN / "seclabeld"), "--listen", "127.0.0.1:0", "--data",
                str(tmp_path / "data"), *extra]
        if namespace:
            argv = ["unshare", "-rm", "sh", "-c", WRAP, "sh"] + argv
        self.data = tmp_path / "data"
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err, text=True,
                                     env=env)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (http://\S+)", line)
        assert m, (line, self.err_path.read_text())
        self.url = m.group(1)

    def records(self, until):
        """Records received until one satisfies until(record); all of them, in order."""
        got = []
        while True:
            rec = parse_native(self.sock.recv(1 << 20))
            got.append(rec)
            if until(rec):
                return got

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.err.close()
        self.sock.close()


@needs_unshare
def test_messages_and_requests_are_structured_records(tmp_path):
    s = JournalServer(tmp_path, "--public-url", "http://registry.example")
    try:
        # Start-up: the log's new key (information) and the public URL that is not https
        # (a warning), each with its place in the source.
        recs = s.records(lambda r: "signing key" in r.get("MESSAGE", ""))
        made = recs[-1]
        assert made["MESSAGE"].startswith("made the log's signing key")
        assert made["PRIORITY"] == "6" and made["SYSLOG_IDENTIFIER"] == "seclabeld"
        assert made["CODE_FILE"].endswith("registry/server/logpub.c")
        assert int(made["CODE_LINE"]) > 0 and made["CODE_FUNC"]
        (warn,) = [r for r in recs if "is not https" in r["MESSAGE"]]
        assert warn["PRIORITY"] == "4" and warn["CODE_FILE"].endswith("registry/server/srv.c")
        assert warn["MESSAGE"].startswith("warning: the public URL http://registry.example")

        # Requests: one record each, with the fields an operator selects on.
        token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
        r = requests.put(s.url + "/v1/products/acme-cam-1", json=declaration(), timeout=10,
                         headers={"Authorization": "Bearer " + token})
        assert r.status_code == 201
        (put,) = s.records(lambda rec: "SECLABEL_STATUS" in rec)
        assert put["SECLABEL_REQUEST_ID"] == r.headers["X-Request-Id"]
        assert put["SECLABEL_METHOD"] == "PUT" and put["SECLABEL_STATUS"] == "201"
        assert put["SECLABEL_ROUTE"] == "/v1/products/{}"
        assert put["SECLABEL_PATH"] == "/v1/products/acme-cam-1"
        assert put["SECLABEL_CLIENT"] == "127.0.0.1" and put["PRIORITY"] == "6"
        assert int(put["SECLABEL_BYTES"]) > 0 and float(put["SECLABEL_DURATION_MS"]) >= 0
        # MESSAGE is the plain line, as on a terminal
        assert re.fullmatch(r"\S+Z %s 127\.0\.0\.1 PUT /v1/products/acme-cam-1 201 \d+ [\d.]+ms"
                            % put["SECLABEL_REQUEST_ID"], put["MESSAGE"]), put["MESSAGE"]
        requests.get(s.url + "/no/such/path", timeout=10)
        (miss,) = s.records(lambda rec: "SECLABEL_STATUS" in rec)
        assert miss["SECLABEL_STATUS"] == "404" and miss["SECLABEL_ROUTE"] == "(none)"
        assert miss["SECLABEL_PATH"] == "/no/such/path"
    finally:
        s.stop()
    # Nothing went to stderr as text: the journal took every record.
    assert s.err_path.read_text() == ""


@needs_unshare
def test_log_format_text_keeps_lines_on_stderr(tmp_path):
    s = JournalServer(tmp_path, "--log-format", "text")
    try:
        requests.get(s.url + "/healthz", timeout=10)
    finally:
        s.stop()
    text = s.err_path.read_text()
    assert "seclabeld: made the log's signing key" in text and " GET /healthz 200 " in text


@needs_unshare
def test_a_journal_stream_of_another_file_is_not_stderr(tmp_path):
    """JOURNAL_STREAM inherited from a service by a program whose stderr is elsewhere (a
    terminal, a file): plain text, as without it, and nothing to the journal."""
    other = tmp_path / "other"
    other.write_text("")
    st = os.stat(other)
    s = JournalServer(tmp_path, stream="%d:%d" % (st.st_dev, st.st_ino))
    try:
        requests.get(s.url + "/healthz", timeout=10)
        s.sock.settimeout(0.5)
        with pytest.raises(socket.timeout):
            s.sock.recv(1 << 20)
    finally:
        s.stop()
    text = s.err_path.read_text()
    assert "seclabeld: made the log's signing key" in text and " GET /healthz 200 " in text


def test_an_unknown_log_format_is_refused(tmp_path):
    r = subprocess.run([str(BIN / "seclabeld"), "--data", str(tmp_path / "d"), "--log-format",
                        "xml"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert r.stderr == "seclabeld: --log-format is auto, text or journal, not 'xml'\n"
    assert not (tmp_path / "d").exists()
