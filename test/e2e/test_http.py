"""HTTP routes, statistics, start-up settings and graceful shutdown."""
import os
import signal
import subprocess
import tempfile
import time

import websockets

from conftest import BINARY, Client, Server, logged_in, run, settings_text


def test_pages_and_static_files(server):
    status, headers, body = server.http("/")
    assert status == 200 and "web client is not built" in body
    status, _, body = server.http("/?jwt=abc", method="POST", data=b"jwt=abc")
    assert status == 200
    status, _, body = server.http("/about")
    assert status == 200 and "Test Chat" in body and "https://www.example.com" in body
    assert server.http("/healthz")[0:3:2] == (200, "ok\n")
    os.makedirs(os.path.join(server.dir, "web", "static"))
    with open(os.path.join(server.dir, "web", "static", "app.css"), "w") as f:
        f.write("body{}")
    status, headers, body = server.http("/static/app.css")
    assert status == 200 and body == "body{}" and headers["Content-Type"].startswith("text/css")
    assert server.http("/static/../settings.toml")[0] == 404
    assert server.http("/static/%2e%2e/settings.toml")[0] == 404
    assert server.http("/nothing")[0] == 404


@run
async def test_statistics_counts_users_and_cameras_with_cors(server):
    a, b = await logged_in(server, "alice", "bob")
    await a.send(action="me", video=1)
    await b.send(action="me", video=3)
    await a.expect("who")
    status, headers, body = server.http("/api/statistics", headers={"Origin": "https://allowed.example"})
    import json
    stats = json.loads(body)
    assert stats["UserCount"] == 2 and sorted(stats["Usernames"]) == ["alice", "bob"]
    assert stats["Cameras"] == {"Blue": 1, "Red": 1}
    assert headers.get("Access-Control-Allow-Origin") == "https://allowed.example"
    _, headers, _ = server.http("/api/statistics", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in headers


@run
async def test_sigterm_closes_sockets_with_1001_and_exits_zero(server):
    a, b = await logged_in(server, "alice", "bob")
    start = time.time()
    server.proc.send_signal(signal.SIGTERM)
    for c in (a, b):
        await c.ws.wait_closed()
        assert c.ws.close_code == 1001
    assert server.proc.wait(5) == 0
    assert time.time() - start < 2.5


def test_default_settings_file_is_written_on_first_run():
    d = tempfile.mkdtemp()
    proc = subprocess.Popen([BINARY, "-address", "127.0.0.1:0"], cwd=d, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 10
        while not os.path.exists(os.path.join(d, "settings.toml")) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=5)[0]
    assert proc.returncode == 0, out
    text = open(os.path.join(d, "settings.toml")).read()
    assert 'ID = "lobby"' in text and "[Server]" in text and "WorkerThreads" in text
    # The file it wrote is valid.
    check = subprocess.run([BINARY, "--check-config", "--config", os.path.join(d, "settings.toml")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def check_config(text):
    d = tempfile.mkdtemp()
    path = os.path.join(d, "settings.toml")
    with open(path, "w") as f:
        f.write(text)
    return subprocess.run([BINARY, "--check-config", "--config", path], capture_output=True, text=True)


def test_bad_settings_stop_startup_with_key_and_line():
    good = settings_text()
    r = check_config(good.replace('Title = "Test Chat"', "Title = 5"))
    assert r.returncode == 1 and ":3: 'Title' must be a string" in r.stderr
    r = check_config(good.replace('Name = "Off Topic"', 'Name = "Off Topic"\nColour = "red"'))
    assert r.returncode == 1 and "unknown channel field 'PublicChannels[1].Colour'" in r.stderr
    r = check_config(good.replace('ID = "offtopic"', 'ID = "lobby"'))
    assert r.returncode == 1 and "duplicate channel ID 'lobby'" in r.stderr
    r = check_config(good.split("[[PublicChannels]]")[0])
    assert r.returncode == 1 and "at least one channel" in r.stderr
    r = check_config(good.replace("[Server]", "[Server\n"))
    assert r.returncode == 1 and "settings.toml:" in r.stderr
    # A real start with a bad file refuses to start.
    d = tempfile.mkdtemp()
    path = os.path.join(d, "settings.toml")
    with open(path, "w") as f:
        f.write(good.replace("PingInterval = 30", 'PingInterval = "often"'))
    r = subprocess.run([BINARY, "--config", path], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and "'Server.PingInterval' must be a whole number" in r.stderr


def test_flags_override_the_file():
    s = Server(settings_text(), extra_args=["--workers", "3", "--io-threads", "3", "-address", "127.0.0.1:0"])
    try:
        assert "3 I/O thread(s), 3 worker thread(s)" in s.output()
    finally:
        s.stop()


@run
async def test_metrics_in_prometheus_text(server):
    a, b = await logged_in(server, "alice", "bob")
    await a.send(action="message", channel="lobby", message="count me")
    await b.expect("message")
    status, headers, body = server.http("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    values = dict(line.split(" ", 1) for line in body.splitlines() if line and not line.startswith("#"))
    assert values["barertc_users_logged_in"] == "2"
    assert values["barertc_connections_open"] == "2"
    assert int(values["barertc_chat_messages_total"]) == 1
    assert int(values["barertc_frames_sent_total"]) >= 10
    assert int(values["barertc_who_lists_built_total"]) >= 1
    assert "# TYPE barertc_slow_clients_dropped_total counter" in body
    # Mailbox backlogs of the directory and the channels, asked at request time: the message
    # above has been delivered, so nothing is waiting in a quiet room.
    for name in ("directory_mailbox_backlog", "channel_mailbox_backlog", "channel_mailbox_backlog_max"):
        assert f"# TYPE barertc_{name} gauge" in body
        assert values[f"barertc_{name}"] == "0"
