"""Wire parity with the original BareRTC (issue 16): safe inline HTML as the original allows it,
read back by a second client through the real server."""
import pytest

from conftest import assert_inert, logged_in, run

# Each allowlisted element, as a user types it, and what a second client must receive.
SURVIVES = [
    ("<b>bold</b>", "<p><b>bold</b></p>"),
    ("<i>it</i>", "<p><i>it</i></p>"),
    ("<u>under</u>", "<p><u>under</u></p>"),
    ("<s>struck</s>", "<p><s>struck</s></p>"),
    ("x<sup>2</sup>", "<p>x<sup>2</sup></p>"),
    ("H<sub>2</sub>O", "<p>H<sub>2</sub>O</p>"),
    ("<code>c</code>", "<p><code>c</code></p>"),
    ("<pre>pre</pre>", "<pre>pre</pre>"),
    ("<blockquote>q</blockquote>", "<blockquote>q</blockquote>"),
    ("<ul><li>one</li></ul>", "<ul><li>one</li></ul>"),
    ("<ol start=\"3\"><li>three</li></ol>", "<ol start=\"3\"><li>three</li></ol>"),
    ("<table><tr><td>t</td></tr></table>", "<table><tbody><tr><td>t</td></tr></tbody></table>"),
    ("<a href=\"https://ok.example/\">ok</a>",
     "<p><a href=\"https://ok.example/\" target=\"_blank\" rel=\"nofollow noopener\">ok</a></p>"),
    ("<a href=\"mailto:x@ok.example\">mail</a>",
     "<p><a href=\"mailto:x@ok.example\" target=\"_blank\" rel=\"nofollow noopener\">mail</a></p>"),
    ("<img src=\"https://ok.example/a.png\" alt=\"a\">", "<img src=\"https://ok.example/a.png\" alt=\"a\">"),
    ("<abbr title=\"HyperText\">HTML</abbr>", "<p><abbr title=\"HyperText\">HTML</abbr></p>"),
]

# Dangerous input and what must be left of it.
REMOVED = [
    ("<script>alert(1)</script>ok", "ok"),
    ("<b onclick=\"alert(1)\">b</b>", "<p><b>b</b></p>"),
    ("<i style=\"position:fixed;top:0\">i</i>", "<p><i>i</i></p>"),
    ("<iframe src=\"https://evil.example\"></iframe>ok", "ok"),
    ("<a href=\"javascript:alert(1)\">j</a>", "<p><a target=\"_blank\" rel=\"nofollow noopener\">j</a></p>"),
    ("<a href=\"ftp://files.example/\">f</a>", "<p><a target=\"_blank\" rel=\"nofollow noopener\">f</a></p>"),
    ("<img src=\"javascript:alert(1)\" onerror=\"alert(1)\">", "<img>"),
    ("<object data=\"x\"></object>ok", "<p>ok</p>"),
    ("<svg><circle r=\"5\"></circle></svg>ok", "<p>ok</p>"),
    ("<div class=\"modal\">unwrapped</div>", "unwrapped"),
]


@pytest.mark.parametrize("typed,expected", SURVIVES, ids=[t for t, _ in SURVIVES])
@run
async def test_allowlisted_html_reaches_others(server, typed, expected):
    a, b = await logged_in(server, "alice", "bob")
    await a.send(action="message", channel="lobby", message=typed)
    got = (await b.expect("message", username="alice"))["message"]
    assert got == expected
    assert_inert(got, typed)


@pytest.mark.parametrize("typed,expected", REMOVED, ids=[t for t, _ in REMOVED])
@run
async def test_dangerous_html_is_taken_out(server, typed, expected):
    a, b = await logged_in(server, "alice", "bob")
    await a.send(action="message", channel="@bob", message=typed)
    got = (await b.expect("message", username="alice"))["message"]
    assert got == expected
    assert_inert(got, typed)


# ---- login order and recent messages (the 2025 server's order) ------------------------------

import asyncio
import json
import zlib

import websockets

from conftest import Client, RawWS, Server, settings_text

ECHO_CHANNEL = '\n[[PublicChannels]]\nID = "recent"\nName = "Recent"\nEchoMessagesOnJoin = 5\n'


@pytest.fixture(scope="module")
def echo_server():
    s = Server(settings_text() + ECHO_CHANNEL)
    yield s
    s.stop()


@run
async def test_login_order_is_me_who_echo_presence_welcome(echo_server):
    early, = await logged_in(echo_server, "early")
    await early.send(action="message", channel="recent", message="before you came")
    await early.expect("message")
    late = await Client.connect(echo_server)
    await late.send(action="login", username="late")
    frames = [await late.expect(timeout=3) for _ in range(7)]
    actions = [f["action"] for f in frames]
    assert actions[:4] == ["me", "who", "echo", "presence"], actions
    assert all(a == "error" for a in actions[4:]), actions  # the welcome notices, with their channel
    assert all(f.get("channel") for f in frames[4:])
    # The first who list already shows both, and the echo carries the earlier line.
    assert sorted(e["username"] for e in frames[1]["whoList"]) == ["early", "late"]
    echoed = frames[2]["messages"]
    assert [m["message"] for m in echoed] == ["<p>before you came</p>"]
    assert echoed[0]["channel"] == "recent" and echoed[0]["timestamp"].endswith("Z")
    assert frames[3]["username"] == "late" and frames[3]["message"] == "has joined the room!"


# ---- permessage-deflate (RFC 7692) -------------------------------------------------------------

OFFER = {"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"}
LONG = "A line long enough to be worth compressing, said again and again. " * 20


def inflate(payload):
    d = zlib.decompressobj(-15)
    return d.decompress(payload + b"\x00\x00\xff\xff")


def deflate(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def raw_login(server, name, headers=OFFER):
    ws = RawWS(server, headers=headers)
    assert ws.status == 101
    ws.send_json(action="login", username=name)
    return ws


def raw_until(ws, predicate):
    while True:
        op, payload = ws.recv_frame()
        if op != 0x1:
            continue
        data = inflate(payload) if ws.rsv1 else payload
        msg = json.loads(data)
        if predicate(msg):
            return msg, ws.rsv1


@run
async def test_compressed_and_plain_clients_get_the_same_broadcast(server):
    plain = Client(await websockets.connect(server.url, max_size=None, compression=None))
    squeezed = Client(await websockets.connect(server.url, max_size=None))  # offers permessage-deflate
    assert plain.ws.extensions == [] and len(squeezed.ws.extensions) == 1
    await plain.login("plain")
    await squeezed.login("squeezed")
    raw = await asyncio.to_thread(raw_login, server, "rawreader")
    assert "permessage-deflate; server_no_context_takeover; client_no_context_takeover" in raw.response
    await plain.who_until(lambda e: len(e) == 3)
    await squeezed.who_until(lambda e: len(e) == 3)
    # The compressed client's own messages are compressed too, and arrive whole.
    await squeezed.send(action="message", channel="lobby", message=LONG)
    a = await plain.expect("message", username="squeezed")
    b = await squeezed.expect("message", username="squeezed")
    assert a == b and a["message"] == f"<p>{LONG.strip()}</p>"
    # On the wire: the long message is compressed (RSV1) for the client that asked, and it inflates
    # to the same message; short ones (presence) stay plain.
    msg, compressed = await asyncio.to_thread(raw_until, raw, lambda m: m.get("action") == "message")
    assert compressed and msg == a
    await plain.close()
    msg, compressed = await asyncio.to_thread(
        raw_until, raw, lambda m: m.get("action") == "presence" and m.get("username") == "plain")
    assert not compressed and msg["message"] == "has exited the room!"
    raw.close()


@run
async def test_raw_client_sends_compressed_messages(server):
    bystander, = await logged_in(server, "bystander")
    raw = await asyncio.to_thread(raw_login, server, "squeezer")
    await bystander.who_until(lambda e: "squeezer" in e)
    body = json.dumps({"action": "message", "channel": "lobby", "message": LONG}).encode()
    raw.send_frame(0x1, deflate(body), rsv1=True)
    got = await bystander.expect("message", username="squeezer")
    assert got["message"] == f"<p>{LONG.strip()}</p>"
    raw.close()


@run
async def test_deflate_bomb_is_closed_with_1009_and_others_go_on(server):
    a, b = await logged_in(server, "alice", "bob")
    raw = await asyncio.to_thread(raw_login, server, "bomber")
    bomb = deflate(b"[" * (50 << 20))  # 50 MiB of one byte: about 50 KB compressed
    assert len(bomb) < 65536  # under MaxMessageBytes as it travels
    raw.send_frame(0x1, bomb, rsv1=True)
    code, _ = await asyncio.to_thread(raw.close_frame)
    assert code == 1009
    raw.close()
    await a.send(action="message", channel="lobby", message="still fine")
    assert (await b.expect("message", username="alice"))["message"] == "<p>still fine</p>"


@pytest.mark.parametrize("headers,payload,code", [
    (OFFER, b"\xff\xff\xff\xff not deflate", 1007),            # corrupt stream
    (OFFER, deflate(b'{"action":"ping","x":"\xff"}'), 1007),   # inflates to text that is not UTF-8
    ({}, deflate(b'{"action":"ping"}'), 1002),                  # RSV1 without the extension
], ids=["corrupt", "not-utf8", "not-negotiated"])
@run
async def test_bad_compressed_frames_are_refused(server, headers, payload, code):
    raw = await asyncio.to_thread(raw_login, server, "badzip", headers)
    raw.send_frame(0x1, payload, rsv1=True)
    got, _ = await asyncio.to_thread(raw.close_frame)
    assert got == code
    raw.close()


@run
async def test_compression_can_be_turned_off(make_server):
    s = make_server(limits={"Compression": False})
    raw = await asyncio.to_thread(raw_login, s, "nozip")
    assert "permessage-deflate" not in raw.response
    ws = Client(await websockets.connect(s.url, max_size=None))
    assert ws.ws.extensions == []
    raw.close()
