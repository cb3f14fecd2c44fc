"""End-to-end harness: starts the real server on an ephemeral port and drives real WebSockets."""
import asyncio
import html
import json
import os
import re
import resource
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
{extra_top}
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
{extra_server}

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

    def __init__(self, settings_text, extra_args=(), fd_limit=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="barertc-e2e-")
        self.config = os.path.join(self.dir, "settings.toml")
        with open(self.config, "w") as f:
            f.write(settings_text)
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [BINARY, "--config", self.config, "--web-root", os.path.join(self.dir, "web"), *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir, env={**os.environ, **(env or {})},
            preexec_fn=(lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))) if fd_limit else None)
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

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

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
                  rate_limit=0, rate_burst=20, jwt=None, strict=True, landing="", leeway=0, top=None, limits=None):
    """`top` and `limits` add top-level and [Server] keys: {"UseXForwardedFor": True}, {"IdleTimeout": 1}."""
    def toml_lines(d):
        return "".join(f"{k} = {json.dumps(v)}\n" for k, v in (d or {}).items())
    text = BASE_SETTINGS.format(max_bytes=max_bytes, queue_limit=queue_limit, queue_bytes=queue_bytes, ping=ping,
                                login_timeout=login_timeout, rate_limit=rate_limit, rate_burst=rate_burst,
                                extra_top=toml_lines(top), extra_server=toml_lines(limits))
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


def post_json(server, path, body, content_type="application/json", timeout=5):
    """POSTs `body` (an object, or raw bytes) to one of the website's APIs; (status, decoded JSON)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=data,
                                 headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


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

    @classmethod
    async def joined(cls, server, name):
        """Connected, logged in as `name`, and past the welcome notices."""
        c = await cls.connect(server)
        await c.login(name)
        await c.drain(0.2)
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

    async def notice(self, containing, timeout=3.0):
        """The first ChatServer notice whose text contains `containing` (welcome notices are skipped)."""
        deadline = asyncio.get_event_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_event_loop().time()
            m = await self.expect("error", timeout=max(left, 0.01))
            if containing in m["message"]:
                return m

    async def until_closed(self, timeout=5.0):
        """Receives until the server closes; returns (close code, reason). Messages land in .inbox."""
        async def read():
            try:
                while True:
                    self.inbox.append(json.loads(await self.ws.recv()))
            except websockets.ConnectionClosed:
                pass
        await asyncio.wait_for(read(), timeout)
        return self.ws.close_code, self.ws.close_reason

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


async def stalled_client(server, name):
    """A logged-in client that will not read again: a tiny receive buffer, and the library may buffer
    a single message, so the server's writes to it soon block. It offers no compression, so the
    bytes it is sent are the bytes the queue limits count."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    c = Client(await websockets.connect(server.url, sock=sock, max_size=None, max_queue=1, read_limit=2 ** 12,
                                        close_timeout=1, compression=None))
    OPEN_CLIENTS.append(c)
    await c.login(name)
    return c


async def room(server, *names, ops=(), vips=(), rules=None):
    """Everyone logged in and seeing each other: operators, VIPs and users with moderation rules
    (`rules`: name -> list) by token, guests otherwise."""
    clients = []
    for n in names:
        c = await Client.connect(server)
        extra = {}
        if n in ops or n in vips or (rules and n in rules):
            claims = {"op": n in ops, "vip": n in vips}
            if rules and n in rules:
                claims["rules"] = rules[n]
            extra["jwt"] = token(n, **claims)
        await c.login(n, **extra)
        clients.append(c)
    for c in clients:
        await c.who_until(lambda e: all(x.name in e for x in clients))
    for c in clients:
        await c.drain(0.05)
    return clients


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


class RawWS:
    """A WebSocket over a plain blocking socket, for what a well-behaved client library will not do:
    invalid UTF-8, never answering pings, raw HTTP requests. Use from async tests via asyncio.to_thread."""

    def __init__(self, server, headers=None, timeout=5, rcvbuf=None):
        self.sock = socket.socket()
        self.sock.settimeout(timeout)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", server.port))
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n")
                          .encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("connection closed during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ")[1])
        self.response = head.decode(errors="replace")  # status line and headers
        self.rsv1 = False  # of the last frame received (a permessage-deflate message)

    def send_frame(self, opcode, payload, fin=True, rsv1=False):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        self.sock.sendall(head + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload)))

    def send_json(self, **msg):
        self.send_frame(0x1, json.dumps(msg).encode())

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def recv_frame(self):
        """(opcode, payload) of the next server frame; raises EOFError when the server hung up."""
        self._need(2)
        op, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
        self.rsv1 = bool(self.buf[0] & 0x40)
        at = 2
        if n == 126:
            self._need(4)
            n, at = int.from_bytes(self.buf[2:4], "big"), 4
        elif n == 127:
            self._need(10)
            n, at = int.from_bytes(self.buf[2:10], "big"), 10
        self._need(at + n)
        payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
        return op, payload

    def close_frame(self):
        """Reads until the server's close frame; returns (code, reason). Other frames are kept in .seen."""
        self.seen = []
        while True:
            op, payload = self.recv_frame()
            if op == 0x8:
                return int.from_bytes(payload[:2], "big"), payload[2:].decode()
            self.seen.append((op, payload))

    def close(self):
        self.sock.close()


def http_raw(server, request, timeout=5):
    """Sends raw bytes as an HTTP request; returns (status, body) of the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        data = b""
        while True:
            head, sep, body = data.partition(b"\r\n\r\n")
            m = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if sep and m and len(body) >= int(m.group(1)):
                break
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body.decode(errors="replace")


# -- "Is this HTML inert?": one check for every field a receiving client renders as HTML. --

import html.parser as _html_parser

# What the Markdown renderer writes, and the inline HTML the sanitiser lets through: text
# formatting that can neither run script nor load anything but an http(s) image.
SAFE_TAGS = {"p", "a", "em", "strong", "code", "pre", "del", "ul", "ol", "li", "blockquote", "h1", "h2", "h3",
             "h4", "h5", "h6", "hr", "br", "img", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
             "b", "i", "u", "s", "strike", "small", "big", "mark", "kbd", "samp", "var", "tt", "q", "cite", "abbr",
             "dfn", "dl", "dt", "dd", "caption", "col", "colgroup", "tfoot", "span", "ruby", "rt", "rp", "bdi",
             "bdo", "ins", "wbr"}
SAFE_ATTRS = {"href", "src", "alt", "title", "target", "rel", "class", "align", "start", "width", "height",
              "colspan", "rowspan", "dir"}
URL_ATTRS = {"href", "src"}
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class _HTMLScan(_html_parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag not in SAFE_TAGS:
            self.problems.append(f"live <{tag}> tag")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            elif name not in SAFE_ATTRS:
                self.problems.append(f"attribute {name}= on <{tag}>")
            if name in URL_ATTRS and value:
                # Browsers ignore control characters and white space inside a scheme.
                squashed = re.sub(r"[\x00-\x20\x7f]", "", value).lower()
                scheme = re.match(r"^([a-z][a-z0-9+.-]*):", squashed)
                if scheme and not squashed.startswith(SAFE_SCHEMES):
                    self.problems.append(f"{name}={value!r} on <{tag}>")
                if squashed.startswith("//") or squashed.startswith("\\"):
                    self.problems.append(f"protocol-relative {name}={value!r}")

    handle_startendtag = handle_starttag


def html_problems(fragment):
    """Why `fragment` (HTML a client inserts as markup) is not inert; [] when it is."""
    problems = []
    if re.search(r"<\s*script", fragment, re.I):
        problems.append("<script")
    # Quoted attribute values are left out: an escaped `onclick=` inside a title is only text.
    if re.search(r"<[a-z][^>]*[\s/]on\w+\s*=", re.sub(r"\"[^\"]*\"|'[^']*'", '""', fragment), re.I):
        problems.append("on...= inside a tag")
    if re.search(r"(href|src)\s*=\s*[\"']?\s*(javascript|vbscript|data):", fragment, re.I):
        problems.append("dangerous URL in href/src")
    scan = _HTMLScan()
    scan.feed(fragment)
    scan.close()
    return problems + scan.problems


def assert_inert(fragment, what=""):
    problems = html_problems(fragment)
    assert not problems, f"{what}: {fragment!r} is not inert: {problems}"


def assert_plain(text, what=""):
    """A plain-text field (a name, a channel ID): no tag could start anywhere in it."""
    assert not re.search(r"<[a-zA-Z/!?]", text), f"{what}: {text!r} could open a tag"


def assert_received_inert(messages, what=""):
    """Every field of every received message that a client shows: HTML fields inert, the rest plain."""
    for m in messages:
        for key in ("message",):
            if isinstance(m.get(key), str):
                assert_inert(m[key], f"{what} {m.get('action')}.{key}")
        for key in ("username", "channel", "status"):
            if isinstance(m.get(key), str):
                assert_plain(m[key], f"{what} {m.get('action')}.{key}")
        for e in m.get("whoList") or []:
            for key in ("username", "nickname", "status", "emoji", "gender"):
                if isinstance(e.get(key), str):
                    assert_plain(e[key], f"{what} who.{key}")
            for key in ("avatar", "profileURL"):
                if key in e:
                    assert_inert(f'<img src="{html.escape(e[key])}">', f"{what} who.{key}")
                    assert e[key].startswith(("https://", "http://")), f"{what} who.{key} = {e[key]!r}"


async def assert_lobby_alive(bystander, talker, text="still alive"):
    """The bystander keeps receiving lobby messages from a healthy client."""
    await talker.send(action="message", channel="lobby", message=text)
    await bystander.expect("message", channel="lobby", username=talker.name, message=f"<p>{text}</p>", timeout=5)


@pytest.fixture(scope="module")
def receiver():
    """A webhook receiver on loopback for the whole test module."""
    r = Receiver()
    yield r
    r.http.shutdown()


class Receiver:
    """The website's webhook endpoint: records each call's body; `mode` says how /report answers
    ("ok", "fail": 500, "slow": after the server's 10 s timeout)."""

    def __init__(self):
        self.calls = []
        self.mode = "ok"
        self.profile = {"StatusCode": 200, "Data": {"OK": True, "Error": "", "Headline": "Likes hiking",
                                                    "ProfileFields": [{"Name": "Age", "Value": "30"}]}}
        self.profile_status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.calls.append((self.path, self.headers["Content-Type"], body))
                if self.path == "/profile":
                    status, answer = receiver.profile_status, json.dumps(receiver.profile).encode()
                elif receiver.mode == "slow":
                    time.sleep(12)
                    status, answer = 200, b"{}"
                else:
                    status, answer = (500 if receiver.mode == "fail" else 200), b"{}"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the chat gave up waiting

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.port = self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def reports(self, about=None):
        return [b for p, _, b in self.calls if p == "/report" and (about is None or b["Report"]["AboutUsername"] == about)]

    async def report_about(self, about, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.reports(about):
                return self.reports(about)[-1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no report about {about}; calls: {self.calls}")
