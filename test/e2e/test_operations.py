"""Day-one operations (issue 15): health, metrics, logs, configuration, reload, JWT limits, HTTP
caching and HEAD, the systemd unit, and WebSocket close handling, each through the real server."""
import asyncio
import gzip
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import urllib.request

import pytest

from conftest import BINARY, ROOT, SECRET, Client, RawWS, Server, http_raw, run, settings_text, token


def wait_for(predicate, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def read_responses(sock, count, timeout=5):
    """Reads from a keep-alive socket until `count` GET responses (each with its Content-Length body)
    are in; returns them as [(head, body)]."""
    sock.settimeout(timeout)
    data = b""
    while True:
        out, rest = [], data
        while len(out) < count:
            head, sep, body = rest.partition(b"\r\n\r\n")
            m = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if not sep or not m or len(body) < int(m.group(1)):
                break
            out.append((head, body[:int(m.group(1))]))
            rest = body[int(m.group(1)):]
        if len(out) == count:
            return out
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed after {data!r}")
        data += chunk


# ---- Health ----------------------------------------------------------------------------------

def test_head_answers_headers_only_and_keep_alive_stays_in_step(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        data = b""
        while not data.endswith(b"ok\n") or data.count(b"HTTP/1.1 ") < 2:
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
    first, _, rest = data.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200") and b"Content-Length: 3" in first
    # The HEAD answer carried no body: the next bytes are the second response's status line.
    assert rest.startswith(b"HTTP/1.1 200"), rest
    assert rest.endswith(b"\r\n\r\nok\n")


def test_healthz_is_503_while_draining_and_livez_stays_200():
    s = Server(settings_text(limits={"ShutdownTimeout": 4}))
    try:
        assert s.http("/healthz")[0:3:2] == (200, "ok\n")
        assert s.http("/livez")[0:3:2] == (200, "ok\n")
        # A client that never answers the close frame keeps the drain going for ShutdownTimeout.
        stuck = RawWS(s)
        stuck.send_json(action="login", username="stuck")
        keep = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        keep.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        [(head, body)] = read_responses(keep, 1)
        assert head.startswith(b"HTTP/1.1 200") and body == b"ok\n"
        s.proc.send_signal(signal.SIGTERM)
        assert wait_for(lambda: "shutting down" in s.output())
        keep.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        (h1, b1), (h2, b2) = read_responses(keep, 2)
        assert h1.startswith(b"HTTP/1.1 503") and b1 == b"draining: shutting down\n"
        assert h2.startswith(b"HTTP/1.1 200") and b2 == b"ok\n"
        assert s.proc.wait(10) == 0
        keep.close()
        stuck.close()
    finally:
        s.stop()


# ---- Metrics ---------------------------------------------------------------------------------

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? '
                    r'(-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$')


def exposition_problems(text):
    """What `promtool check metrics` would object to in Prometheus text format 0.0.4 (a careful
    subset: syntax, HELP/TYPE once per family and before its samples, counters ending in _total,
    histograms cumulative with +Inf equal to _count)."""
    problems, types, helps, seen_samples = [], {}, set(), set()
    buckets = {}
    if not text.endswith("\n"):
        problems.append("no final newline")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            if name in helps:
                problems.append(f"second HELP for {name}")
            helps.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            if name in types:
                problems.append(f"second TYPE for {name}")
            if kind not in ("counter", "gauge", "histogram", "summary", "untyped"):
                problems.append(f"bad type {kind}")
            if name in seen_samples:
                problems.append(f"TYPE after samples for {name}")
            if kind == "counter" and not name.endswith("_total"):
                problems.append(f"counter {name} should end in _total")
            types[name] = kind
        elif line.startswith("#") or not line:
            problems.append(f"stray line {line!r}")
        else:
            m = SAMPLE.match(line)
            if not m:
                problems.append(f"bad sample {line!r}")
                continue
            name = m.group(1)
            family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
            if family not in types:
                problems.append(f"sample without TYPE: {name}")
            seen_samples.add(family)
            if name.endswith("_bucket"):
                le = re.search(r'le="([^"]+)"', line).group(1)
                buckets.setdefault(family, []).append((le, float(m.group(4))))
            if name.endswith("_count") and types.get(family) == "histogram":
                counts = [v for _, v in buckets.get(family, [])]
                if counts != sorted(counts):
                    problems.append(f"{family} buckets not cumulative")
                if not counts or buckets[family][-1][0] != "+Inf" or counts[-1] != float(m.group(4)):
                    problems.append(f"{family} +Inf bucket differs from _count")
    for name in types:
        if name not in helps:
            problems.append(f"no HELP for {name}")
    return problems


@run
async def test_metrics_have_process_build_and_delivery_figures_and_pass_the_format_check(server):
    a = await Client.joined(server, "alice")
    b = await Client.joined(server, "bob")
    await a.send(action="message", channel="lobby", message="hello")
    await b.expect("message")
    status, headers, body = server.http("/metrics")
    assert status == 200
    assert exposition_problems(body) == []
    values = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    fds = len(os.listdir(f"/proc/{server.proc.pid}/fd"))
    assert abs(values["process_open_fds"] - fds) <= 3
    assert values["process_resident_memory_bytes"] > 1 << 20
    assert values["process_cpu_seconds_total"] > 0
    assert abs(values["process_start_time_seconds"] - time.time()) < 120
    assert values["process_max_fds"] >= values["process_open_fds"]
    info = [k for k in values if k.startswith("barertc_build_info{")]
    assert len(info) == 1 and values[info[0]] == 1 and 'commit="' in info[0]
    # Frames went out, so the I/O threads woke up for them and the histogram saw it.
    assert values["barertc_delivery_queue_seconds_count"] >= 1
    assert values['barertc_delivery_queue_seconds_bucket{le="+Inf"}'] == values["barertc_delivery_queue_seconds_count"]
    if shutil.which("promtool"):
        check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


# ---- Logs ------------------------------------------------------------------------------------

@run
async def test_moderation_and_refused_sign_ins_are_logged_with_who_whom_and_the_forwarded_address(make_server):
    s = make_server(jwt=True, strict=False, top={"UseXForwardedFor": True})
    op = await Client.connect(s, extra_headers={"X-Real-IP": "198.51.100.7"})
    await op.login("", jwt=token("alice", op=True))
    bob = await Client.joined(s, "bob")
    await op.send(action="message", channel="lobby", message="/kick bob")
    await bob.expect("disconnect")
    assert await asyncio.to_thread(wait_for, lambda: "ran /kick bob" in s.output())
    assert "moderation: alice (from 198.51.100.7) ran /kick bob: bob has been kicked from the room." in s.output()
    # A refused token, from behind the proxy: the reason and the client's address.
    raw = await asyncio.to_thread(RawWS, s, {"X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
    await asyncio.to_thread(raw.send_json, action="login", username="", jwt=token("mallory", key="wrong-key"))
    assert await asyncio.to_thread(wait_for, lambda: "sign-in refused from 203.0.113.9" in s.output())
    assert "sign-in refused from 203.0.113.9: the token's signature does not match" in s.output()
    raw.close()
    # A refused HTTP request names the forwarded address too.
    status, _ = http_raw(s, b"POST / HTTP/1.1\r\nHost: x\r\nX-Real-IP: 192.0.2.44\r\nContent-Length: 2000000\r\n\r\n")
    assert status == 413
    assert await asyncio.to_thread(wait_for, lambda: "HTTP 413 to 192.0.2.44" in s.output())


def test_reload_failure_is_a_plain_text_warning():
    s = Server(settings_text())
    try:
        original = open(s.config).read()
        with open(s.config, "w") as f:
            f.write(original.replace('Title = "Test Chat"', "Title = [broken"))
        s.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "settings reload failed" in s.output())
        line = next(l for l in s.output().splitlines() if "settings reload failed" in l)
        assert "[warning]" in line and "settings.toml:3:" in line and "<br>" not in line and "&" not in line
    finally:
        s.stop()


@run
async def test_json_logs_and_no_secret_or_token_in_any_line(make_server):
    s = Server(settings_text(jwt=True, strict=False), extra_args=["--log-json"])
    try:
        api_key = "admin-key-never-logged"
        t = token("alice", op=True)
        c = await Client.connect(s)
        await c.login("", jwt=t)
        bad = await Client.connect(s)
        await bad.send(action="login", username="", jwt=token("eve", key="other-key"))
        await bad.notice("refused")
        s.http("/api/block/now", method="POST", headers={"Content-Type": "application/json"},
               data=json.dumps({"APIKey": api_key, "Usernames": ["alice"]}).encode())
        await c.send(action="message", channel="lobby", message="/reconfigure")
        await c.notice("reloaded")
        out = s.output()
        lines = [json.loads(line) for line in out.splitlines()]
        assert all(set(l) == {"time", "level", "msg"} for l in lines)
        assert any("token sign-in for 'alice'" in l["msg"] for l in lines)
        assert any(l["level"] == "warning" and "ran /reconfigure" in l["msg"] for l in lines)
        for secret in (SECRET, t, t.split(".")[2], api_key, "other-key"):
            assert secret not in out
    finally:
        s.stop()


# ---- Configuration ---------------------------------------------------------------------------

@run
async def test_environment_overrides_secrets_and_address():
    text = settings_text(jwt=True, strict=False).replace(f'SecretKey = "{SECRET}"', 'SecretKey = ""')
    text = text.replace('Address = "127.0.0.1:0"', 'Address = "not an address"')
    s = Server(text, env={"BARERTC_JWT_SECRETKEY": SECRET, "BARERTC_ADDRESS": "127.0.0.1:0",
                          "BARERTC_ADMINAPIKEY": "env-admin-key"})
    try:
        c = await Client.connect(s)
        me = await c.login("", jwt=token("alice"))
        assert me["username"] == "alice"
        status, _, _ = s.http("/api/block/now", method="POST", headers={"Content-Type": "application/json"},
                              data=json.dumps({"APIKey": "env-admin-key", "Usernames": ["alice"]}).encode())
        assert status == 200
        out = s.output()
        assert "BARERTC_JWT_SECRETKEY is taken from the environment" in out
        assert SECRET not in out and "env-admin-key" not in out
    finally:
        s.stop()


def test_first_run_file_is_private_and_version_prints():
    d = tempfile.mkdtemp()
    s = subprocess.Popen([BINARY, "-address", "127.0.0.1:0"], cwd=d, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: os.path.exists(os.path.join(d, "settings.toml")))
        assert stat.S_IMODE(os.stat(os.path.join(d, "settings.toml")).st_mode) == 0o600
        # Created 0600 first, then written: wait for the text, not just the file.
        assert wait_for(lambda: "RequireExp = true" in open(os.path.join(d, "settings.toml")).read())
    finally:
        s.send_signal(signal.SIGTERM)
        s.wait(10)
    v = subprocess.run([BINARY, "--version"], capture_output=True, text=True)
    assert v.returncode == 0 and re.match(r"barertc \d+\.\d+\.\d+ \(commit [0-9a-f]+|unknown", v.stdout)


def check_config(text, env=None):
    d = tempfile.mkdtemp()
    path = os.path.join(d, "settings.toml")
    with open(path, "w") as f:
        f.write(text)
    return subprocess.run([BINARY, "--check-config", "--config", path], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_check_config_finds_semantic_problems_and_warns_of_unused_sections():
    good = settings_text()
    r = check_config(good.replace('Address = "127.0.0.1:0"', 'Address = "localhost:http"'))
    assert r.returncode == 1 and "'Server.Address' = \"localhost:http\" is not an address" in r.stderr
    no_secret = settings_text(jwt=True, landing="https://www.example.com/login").replace(f'"{SECRET}"', '""')
    r = check_config(no_secret)
    assert r.returncode == 1 and "'JWT.SecretKey' is empty" in r.stderr
    assert check_config(no_secret, env={"BARERTC_JWT_SECRETKEY": "x"}).returncode == 0
    r = check_config(settings_text(jwt=True, landing=""))
    assert r.returncode == 0 and "warning: strict JWT without 'JWT.LandingPageURL'" in r.stdout
    r = check_config(good + '\n[Logging]\nEnabled = true\nDirectory = "./logs"\n')
    assert r.returncode == 0 and "'Logging' is not used by this server yet" in r.stdout
    assert "(with warnings)" in r.stdout


# ---- Reload ----------------------------------------------------------------------------------

def test_sighup_applies_cors_hosts_and_the_title_at_once():
    s = Server(settings_text())
    try:
        def allowed(origin):
            return s.http("/api/statistics", headers={"Origin": origin})[1].get("Access-Control-Allow-Origin")
        assert allowed("https://allowed.example") == "https://allowed.example"
        assert allowed("https://new.example") is None
        original = open(s.config).read()
        with open(s.config, "w") as f:
            f.write(original.replace('Title = "Test Chat"', 'Title = "Renamed <Chat>"')
                            .replace('CORSHosts = ["https://allowed.example"]', 'CORSHosts = ["https://new.example"]'))
        s.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "settings reloaded" in s.output())
        assert allowed("https://new.example") == "https://new.example"
        assert allowed("https://allowed.example") is None
        assert "Renamed &lt;Chat&gt;" in s.http("/about")[2]
    finally:
        s.stop()


# ---- JWT -------------------------------------------------------------------------------------

@run
async def test_require_exp_and_the_token_size_limit(make_server):
    s = Server(settings_text(jwt=True, strict=False) + "RequireExp = true\nMaxTokenBytes = 8192\n")
    try:
        c = await Client.connect(s)
        await c.send(action="login", username="", jwt=token("alice", expires_in=None))
        assert "no expiry (exp) claim" in (await c.notice("refused"))["message"]
        big = token("alice", padding="x" * 9000)
        await c.send(action="login", username="", jwt=big)
        assert "the token is too long" in (await c.notice("too long"))["message"]
        status, _, body = s.http("/?jwt=" + token("alice", expires_in=None))
        assert status == 200 and '"Valid":false' in body and "no expiry" in body
        me = await c.login("", jwt=token("alice"))
        assert me["username"] == "alice"
        assert "sign-in refused from 127.0.0.1: the token is too long" in s.output()
    finally:
        s.stop()


# ---- HTTP ------------------------------------------------------------------------------------

def fetch(s, path, headers=None, method="GET"):
    req = urllib.request.Request(f"http://127.0.0.1:{s.port}{path}", headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_static_validators_304_long_cache_gzip_and_server_rendered_title(server):
    web = os.path.join(server.dir, "web")
    os.makedirs(os.path.join(web, "assets"))
    os.makedirs(os.path.join(web, "static"))
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("<!doctype html><html><head><title>BareRTC</title></head><body></body></html>")
    bundle = b"console.log('bundle');" * 100
    with open(os.path.join(web, "assets", "index-4f3a2b.js"), "wb") as f:
        f.write(bundle)
    with open(os.path.join(web, "assets", "index-4f3a2b.js.gz"), "wb") as f:
        f.write(gzip.compress(bundle))
    with open(os.path.join(web, "static", "site.css"), "w") as f:
        f.write("body{}")
    status, _, body = fetch(server, "/")
    assert status == 200 and b"<title>Test Chat</title>" in body
    status, h, body = fetch(server, "/static/site.css")
    assert status == 200 and body == b"body{}" and h["Cache-Control"] == "public, max-age=300"
    etag, modified = h["ETag"], h["Last-Modified"]
    status, h2, body = fetch(server, "/static/site.css", {"If-None-Match": etag})
    assert status == 304 and body == b"" and h2["ETag"] == etag
    assert fetch(server, "/static/site.css", {"If-Modified-Since": modified})[0] == 304
    assert fetch(server, "/static/site.css", {"If-None-Match": '"stale"'})[0] == 200
    status, h, body = fetch(server, "/assets/index-4f3a2b.js")
    assert status == 200 and body == bundle and "Content-Encoding" not in h
    assert h["Cache-Control"] == "public, max-age=31536000, immutable" and h["Vary"] == "Accept-Encoding"
    status, hz, body = fetch(server, "/assets/index-4f3a2b.js", {"Accept-Encoding": "gzip"})
    assert status == 200 and hz["Content-Encoding"] == "gzip" and gzip.decompress(body) == bundle
    assert hz["ETag"] != h["ETag"]
    status, hh, body = fetch(server, "/assets/index-4f3a2b.js", method="HEAD")
    assert status == 200 and body == b"" and hh["Content-Length"] == str(len(bundle))


# ---- systemd ---------------------------------------------------------------------------------

def readme_unit():
    text = open(os.path.join(ROOT, "README.md")).read()
    section = text[text.index("## Running under systemd"):]
    return re.search(r"```ini\n(.*?)```", section, re.S).group(1)


def test_readme_systemd_unit_is_hardened_and_verifies():
    unit = readme_unit()
    for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=", "Restart=on-failure",
                 "ExecReload=/bin/kill -HUP $MAINPID"):
        assert line in unit, line
    assert re.search(r"^(DynamicUser=yes|User=\w+)", unit, re.M)
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    d = tempfile.mkdtemp()
    exec_path = re.search(r"^ExecStart=(\S+)", unit, re.M).group(1)
    path = os.path.join(d, "barertc.service")
    with open(path, "w") as f:
        f.write(unit.replace(exec_path, BINARY))
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", path], capture_output=True, text=True)
    problems = [l for l in (r.stdout + r.stderr).splitlines()
                if "barertc.service" in l and "Failed to" not in l and "not executable" not in l]
    assert r.returncode == 0 or not problems, r.stdout + r.stderr
    assert not problems, problems


# ---- WebSocket close handling ----------------------------------------------------------------

@run
async def test_close_codes_that_must_not_be_sent_get_1002_bad_reasons_1007(server):
    def exchange(payload):
        ws = RawWS(server)
        ws.send_frame(0x8, payload)
        try:
            return ws.close_frame()
        finally:
            ws.close()
    for code in (0, 999, 1005, 1006, 1015, 2000, 5000):
        got, reason = await asyncio.to_thread(exchange, code.to_bytes(2, "big"))
        assert got == 1002 and reason == "invalid close code", (code, got)
    for code in (1000, 1001, 3000, 4321):
        assert (await asyncio.to_thread(exchange, code.to_bytes(2, "big") + b"bye"))[0] == code
    got, reason = await asyncio.to_thread(exchange, (1000).to_bytes(2, "big") + b"\xc3\x28")
    assert got == 1007 and "UTF-8" in reason
    assert "closing 127.0.0.1: protocol error: invalid close code" in server.output()


@run
async def test_length_fields_not_in_their_shortest_form_are_refused(server):
    def send_raw(frame):
        ws = RawWS(server)
        ws.sock.sendall(frame)
        try:
            return ws.close_frame()
        finally:
            ws.close()
    payload = b'{"action":"ping"}'
    sixteen = bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big") + b"\0\0\0\0" + payload
    sixty_four = bytes([0x81, 0x80 | 127]) + len(payload).to_bytes(8, "big") + b"\0\0\0\0" + payload
    for frame in (sixteen, sixty_four):
        assert await asyncio.to_thread(send_raw, frame) == (1002, "frame length not in its shortest form")
