"""End-to-end harness: starts the real server on an ephemeral port and drives real WebSockets."""
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest
import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("BARERTC_BIN", os.path.join(ROOT, "build", "barertc"))

# Test settings: quick pings, small queues, no rate limit unless a test asks for one.
BASE_SETTINGS = """
Version = 17
Title = "Test Chat"
WebsiteURL = "https://www.example.com"
CORSHosts = ["https://allowed.example"]
WebSocketSendTimeout = 10

[Server]
Address = "127.0.0.1:0"
MaxMessageBytes = {max_bytes}
SendQueueLimit = {queue_limit}
SendQueueBytes = {queue_bytes}
PingInterval = {ping}
LoginTimeout = {login_timeout}
RateLimit = {rate_limit}
RateBurst = {rate_burst}
WhoListDelayMs = 20

[[PublicChannels]]
ID = "lobby"
Name = "Lobby"
Icon = "fa fa-gavel"
WelcomeMessages = ["Welcome to **the lobby**!", "Be kind."]

[[PublicChannels]]
ID = "offtopic"
Name = "Off Topic"
WelcomeMessages = ["Off topic here."]
"""


class Server:
    """A running barertc process."""

    def __init__(self, settings_text, extra_args=()):
        self.dir = tempfile.mkdtemp(prefix="barertc-e2e-")
        self.config = os.path.join(self.dir, "settings.toml")
        with open(self.config, "w") as f:
            f.write(settings_text)
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [BINARY, "--config", self.config, "--web-root", os.path.join(self.dir, "web"), *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        self.port = None
        deadline = time.time() + 15
        while time.time() < deadline and self.port is None:
            with open(self.log_path) as f:
                m = re.search(r"\(port (\d+)\)", f.read())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None:
                break
            else:
                time.sleep(0.02)
        if self.port is None:
            raise RuntimeError("server did not start:\n" + self.output())

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def http(self, path, headers=None, method="GET", data=None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {},
                                     method=method, data=data)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


SECRET = "e2e-secret-key"


def settings_text(max_bytes=65536, queue_limit=64, queue_bytes=8 * 1024 * 1024, ping=30, login_timeout=30,
                  rate_limit=0, rate_burst=20, jwt=None, strict=True, landing="", leeway=0):
    text = BASE_SETTINGS.format(max_bytes=max_bytes, queue_limit=queue_limit, queue_bytes=queue_bytes, ping=ping,
                                login_timeout=login_timeout, rate_limit=rate_limit, rate_burst=rate_burst)
    if jwt is not None:
        text += (f'\n[JWT]\nEnabled = {"true" if jwt else "false"}\nStrict = {"true" if strict else "false"}\n'
                 f'SecretKey = "{SECRET}"\nLandingPageURL = "{landing}"\nLeewaySeconds = {leeway}\n')
    return text


def token(sub="alice", key=SECRET, alg="HS256", expires_in=3600, **claims):
    """A token signed by PyJWT: an implementation independent of the server's."""
    import jwt as pyjwt
    now = int(time.time())
    payload = {"sub": sub, "iat": now, **claims}
    if expires_in is not None:
        payload["exp"] = now + expires_in
    if sub is None:
        del payload["sub"]
    return pyjwt.encode(payload, key if alg != "none" else None, algorithm=alg)


@pytest.fixture
def server():
    s = Server(settings_text())
    yield s
    s.stop()


@pytest.fixture
def make_server():
    started = []

    def make(**kw):
        s = Server(settings_text(**kw))
        started.append(s)
        return s
    yield make
    for s in started:
        s.stop()


OPEN_CLIENTS = []


class Client:
    """One WebSocket client that keeps every message it receives, in order."""

    def __init__(self, ws):
        self.ws = ws
        self.inbox = []
        self.name = None

    @classmethod
    async def connect(cls, server, **kw):
        kw.setdefault("close_timeout", 1)
        c = cls(await websockets.connect(server.url, max_size=None, **kw))
        OPEN_CLIENTS.append(c)
        return c

    async def send(self, **msg):
        await self.ws.send(json.dumps(msg))

    async def send_raw(self, text):
        await self.ws.send(text)

    async def expect(self, action=None, timeout=3.0, **fields):
        """Returns the first message (already received or arriving) that matches."""
        def matches(m):
            return (action is None or m.get("action") == action) and all(m.get(k) == v for k, v in fields.items())
        deadline = asyncio.get_event_loop().time() + timeout
        while True:
            for i, m in enumerate(self.inbox):
                if matches(m):
                    return self.inbox.pop(i)
            left = deadline - asyncio.get_event_loop().time()
            if left <= 0:
                raise AssertionError(f"no {action} {fields} within {timeout}s; got {self.inbox}")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except asyncio.TimeoutError:
                continue
            self.inbox.append(json.loads(raw))

    async def drain(self, wait=0.3):
        """Receives for `wait` seconds and returns everything received so far."""
        try:
            while True:
                self.inbox.append(json.loads(await asyncio.wait_for(self.ws.recv(), wait)))
        except asyncio.TimeoutError:
            pass
        out, self.inbox = self.inbox, []
        return out

    async def who_until(self, predicate, timeout=3.0):
        """Waits for a who list that satisfies predicate(list of entries); returns it as a dict by name."""
        deadline = asyncio.get_event_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_event_loop().time()
            who = await self.expect("who", timeout=max(left, 0.01))
            entries = {e["username"]: e for e in who["whoList"]}
            if predicate(entries):
                return entries

    async def login(self, name, **extra):
        await self.send(action="login", username=name, **extra)
        me = await self.expect("me")
        self.name = me["username"]
        return me

    async def close(self):
        await self.ws.close()


async def logged_in(server, *names):
    clients = []
    for n in names:
        c = await Client.connect(server)
        await c.login(n)
        clients.append(c)
    # Wait until every client's who list shows everyone.
    for c in clients:
        while True:
            who = await c.expect("who")
            if sorted(e["username"] for e in who["whoList"]) == sorted(x.name for x in clients):
                break
    for c in clients:
        await c.drain(0.05)
    return clients


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(coro_fn):
    """Runs an async test body on a fresh event loop (no pytest plugin needed)."""
    import functools

    async def body(*args, **kwargs):
        try:
            return await asyncio.wait_for(coro_fn(*args, **kwargs), 60)
        finally:
            clients = OPEN_CLIENTS[:]
            OPEN_CLIENTS.clear()
            await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)

    @functools.wraps(coro_fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(body(*args, **kwargs))
    return wrapper
