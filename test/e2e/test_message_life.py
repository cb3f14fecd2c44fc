"""Message life over the real server (protocol.md B.2, B.5; server.md A.4, G.6): takeback, reactions,
echo on join, shared images and message filters. One server for the module; each test uses its own
names and a bystander, and mute/block apply to every one of these deliveries."""
import asyncio
import base64
import datetime
import os
import re
import struct
import zlib

import pytest

from conftest import room, ROOT, Client, Server, run, settings_text, token

CORPUS = os.path.join(ROOT, "test", "fuzz", "corpus", "image")
WATCH = "Watch your language."
SECRET_REPLY = "That word stays with you."
ECHO = 3

EXTRA = f"""
[[PublicChannels]]
ID = "photos"
Name = "Photos"
PermitPhotos = true

[[PublicChannels]]
ID = "recent"
Name = "Recent"
EchoMessagesOnJoin = {ECHO}

[[PublicChannels]]
ID = "viprecent"
Name = "VIP Recent"
VIP = true
EchoMessagesOnJoin = 5

[[MessageFilters]]
Enabled = true
PublicChannels = true
PrivateChannels = true
KeywordPhrases = ['\\bdarn\\b']
CensorMessage = true
ForwardMessage = true
ChatServerResponse = "{WATCH}"

[[MessageFilters]]
Enabled = true
PublicChannels = true
PrivateChannels = true
KeywordPhrases = ['secret(word)?s?']
CensorMessage = false
ForwardMessage = false
ReportMessage = true
ChatServerResponse = "{SECRET_REPLY}"

[[MessageFilters]]
Enabled = false
PublicChannels = true
KeywordPhrases = ['hello']
ForwardMessage = false
"""


@pytest.fixture(scope="module")
def server():
    text = settings_text(max_bytes=4 << 20, jwt=True, strict=False,
                         top={"MaxImageWidth": 64, "PreviewImageWidth": 32},
                         limits={"MaxImageBytes": 300000, "MaxImagePixels": 4000000})
    s = Server(text + EXTRA)
    yield s
    s.stop()


async def got(client, action, wait=0.4):
    return [m for m in await client.drain(wait) if m.get("action") == action]


def png(width, height, noise=False):
    """A valid RGB PNG made here (zlib + CRCs), plain grey or random noise (which does not compress)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = lambda y: b"\x00" + (os.urandom(width * 3) if noise else bytes([90, 120, 200]) * width)
    raw = b"".join(row(y) for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def png_header_only(width, height):
    """A PNG that declares width x height and stops after its header: a decompression bomb's start."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr +
            struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF) + b"\x00\x00\x10\x00IDAT" + b"\x78\x9c" * 8)


def corpus(name):
    """A file of the image fuzz corpus, without the fuzz target's leading type byte."""
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read()[1:]


def image_of(message_html):
    """(mime, bytes, preview width, preview height) of a delivered image message."""
    m = re.fullmatch(r'<img src="data:(image/[a-z]+);base64,([A-Za-z0-9+/=]+)" width="(\d+)" height="(\d+)" '
                     r'onclick="setModalImage\(this.src\)" style="cursor: pointer">', message_html)
    assert m, message_html[:200]
    return m.group(1), base64.b64decode(m.group(2)), int(m.group(3)), int(m.group(4))


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def jpeg_size(data):
    """Width and height from the first SOF marker of a JPEG."""
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    raise AssertionError("no SOF marker")


# ---- takeback --------------------------------------------------------------------------------

@run
async def test_sender_takes_back_and_everyone_is_told(server):
    ann, ben, bys = await room(server, "tb-ann", "tb-ben", "tb-bys")
    await ann.send(action="message", channel="lobby", message="oops")
    msg_id = (await bys.expect("message", username="tb-ann"))["msgID"]
    await ann.send(action="takeback", msgID=msg_id)
    for c in (ann, ben, bys):
        assert (await c.expect("takeback"))["msgID"] == msg_id


@run
async def test_someone_elses_message_cannot_be_taken_back(server):
    ann, ben, bys = await room(server, "tn-ann", "tn-ben", "tn-bys")
    await ann.send(action="message", channel="lobby", message="mine")
    msg_id = (await ben.expect("message", username="tn-ann"))["msgID"]
    await ben.send(action="takeback", msgID=msg_id)
    assert "That is not your message to take back" in (await ben.expect("error"))["message"]
    assert not await got(bys, "takeback") and not await got(ann, "takeback")
    # A msgID nobody was given is no one's either.
    await ben.send(action="takeback", msgID=1)
    assert "That is not your message to take back" in (await ben.expect("error"))["message"]
    # The connection goes on.
    await ben.send(action="message", channel="lobby", message="still here")
    assert (await bys.expect("message", username="tn-ben"))["message"] == "<p>still here</p>"


@run
async def test_operator_takes_back_any_message(server):
    mod, ann, bys = await room(server, "to-mod", "to-ann", "to-bys", ops=("to-mod",))
    await ann.send(action="message", channel="lobby", message="rude words")
    msg_id = (await mod.expect("message", username="to-ann"))["msgID"]
    await mod.send(action="takeback", msgID=msg_id)
    for c in (mod, ann, bys):
        assert (await c.expect("takeback"))["msgID"] == msg_id


@run
async def test_dm_takeback(server):
    ann, ben = await room(server, "td-ann", "td-ben")
    await ann.send(action="message", channel="@td-ben", message="psst")
    msg_id = (await ben.expect("message", username="td-ann"))["msgID"]
    await ann.send(action="takeback", msgID=msg_id)
    assert (await ben.expect("takeback"))["msgID"] == msg_id


# ---- reactions -------------------------------------------------------------------------------

@run
async def test_reaction_reaches_everyone_but_those_who_muted_the_reactor(server):
    ann, ben, bys, muter = await room(server, "re-ann", "re-ben", "re-bys", "re-mut")
    await muter.send(action="mute", username="re-ben")
    await asyncio.sleep(0.2)
    await ann.send(action="message", channel="lobby", message="react to me")
    msg_id = (await bys.expect("message", username="re-ann"))["msgID"]
    await ben.send(action="react", msgID=msg_id, message="👍")
    for c in (ann, ben, bys):
        r = await c.expect("react")
        assert r == {"action": "react", "username": "re-ben", "message": "👍", "msgID": msg_id}
    assert not await got(muter, "react")


@run
async def test_bad_reactions_are_refused_to_the_sender_only(server):
    ann, bys = await room(server, "rb-ann", "rb-bys")
    for bad in ("<b>x</b>", "", "x" * 40):
        await ann.send(action="react", msgID=5, message=bad)
        assert "reaction" in (await ann.expect("error"))["message"]
    await ann.send(action="react", message="👍")
    assert "msgID" in (await ann.expect("error"))["message"]
    assert not await got(bys, "react")


# ---- echo on join ----------------------------------------------------------------------------

async def fresh(server, name, **extra):
    c = await Client.connect(server)
    frames = []
    await c.send(action="login", username=name, **extra)
    while True:
        m = await c.expect(timeout=3)
        frames.append(m)
        if m.get("action") == "error" and m.get("username") == "ChatServer" and m.get("channel"):
            break  # the first welcome notice
    return c, frames


@run
async def test_late_joiner_gets_the_last_messages_with_timestamps_in_order(server):
    ann, bys = await room(server, "ec-ann", "ec-bys")
    ids = []
    for i in range(ECHO + 2):
        await ann.send(action="message", channel="recent", message=f"line {i}")
        ids.append((await bys.expect("message", username="ec-ann"))["msgID"])
    # One is taken back: it leaves the buffer too.
    await ann.send(action="takeback", msgID=ids[-2])
    await bys.expect("takeback")
    before = datetime.datetime.now(datetime.timezone.utc)
    late, frames = await fresh(server, "ec-late")
    actions = [m["action"] for m in frames]
    assert actions.index("me") < actions.index("echo") < actions.index("error")
    echo = next(m for m in frames if m["action"] == "echo")
    mine = [m for m in echo["messages"] if m["channel"] == "recent"]
    # The buffer keeps ECHO messages; of those, the taken-back one is gone.
    assert [m["message"] for m in mine][-2:] == ["<p>line 2</p>", "<p>line 4</p>"]
    assert all(m["msgID"] not in (ids[-2],) for m in mine)
    for m in mine:
        assert m["action"] == "message" and m["username"] == "ec-ann"
        when = datetime.datetime.strptime(m["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        assert abs((before - when).total_seconds()) < 60
    # Channels without EchoMessagesOnJoin keep nothing.
    await ann.send(action="message", channel="offtopic", message="not kept")
    late2, frames2 = await fresh(server, "ec-late2")
    echo2 = next(m for m in frames2 if m["action"] == "echo")
    assert all(m["channel"] != "offtopic" for m in echo2["messages"])


@run
async def test_echo_leaves_out_blocked_and_muted_senders_and_vip_channels(server):
    vip, rude, bys = await room(server, "ev-vip", "ev-rude", "ev-bys", vips=("ev-vip",))
    await vip.send(action="message", channel="viprecent", message="for vips")
    await rude.send(action="message", channel="recent", message="from rude")
    await bys.send(action="message", channel="recent", message="from bys")
    await bys.expect("message", username="ev-bys")
    await asyncio.sleep(0.2)
    # A guest who blocks ev-rude before login: no VIP channel, no lines of ev-rude.
    c = await Client.connect(server)
    await c.send(action="blocklist", usernames=["ev-rude"])
    await c.send(action="login", username="ev-guest")
    echo = await c.expect("echo")
    texts = [m["message"] for m in echo["messages"]]
    assert "<p>from bys</p>" in texts
    assert "<p>from rude</p>" not in texts and "<p>for vips</p>" not in texts
    # A VIP sees the VIP channel's recent lines.
    v2 = await Client.connect(server)
    await v2.send(action="login", username="ev-vip2", jwt=token("ev-vip2", vip=True))
    echo = await v2.expect("echo")
    assert "<p>for vips</p>" in [m["message"] for m in echo["messages"]]


# ---- shared images ---------------------------------------------------------------------------

@run
async def test_png_is_scaled_and_delivered_to_the_channel(server):
    ann, bys = await room(server, "im-ann", "im-bys")
    await ann.send(action="file", channel="photos", message="grey.PNG", bytes=list(png(200, 100)))
    for c in (ann, bys):
        m = await c.expect("message", username="im-ann")
        assert m["channel"] == "photos" and m["msgID"] > 0
        mime, data, pw, ph = image_of(m["message"])
        assert mime == "image/png" and png_size(data) == (64, 32) and (pw, ph) == (32, 16)
    # The sender owns an image's msgID like a text's.
    await ann.send(action="takeback", msgID=m["msgID"])
    assert (await bys.expect("takeback"))["msgID"] == m["msgID"]


@run
async def test_jpeg_is_oriented_and_stripped_and_base64_accepted(server):
    ann, bys = await room(server, "ij-ann", "ij-bys")
    original = corpus("jpeg_exif6")
    assert b"Exif" in original
    w, h = jpeg_size(original)
    await ann.send(action="file", channel="photos", message="phone.jpg", bytes=base64.b64encode(original).decode())
    mime, data, pw, ph = image_of((await bys.expect("message", username="ij-ann"))["message"])
    assert mime == "image/jpeg" and b"Exif" not in data
    assert jpeg_size(data) == (h, w)  # orientation 6: turned a quarter, so the sides swap


@run
async def test_gif_passes_through_unchanged(server):
    ann, bys = await room(server, "ig-ann", "ig-bys")
    original = corpus("gif_2frames")
    await ann.send(action="file", channel="photos", message="anim.gif", bytes=list(original))
    mime, data, _, _ = image_of((await bys.expect("message", username="ig-ann"))["message"])
    assert mime == "image/gif" and data == original


@run
async def test_photo_sized_frame_is_decoded_off_the_chat(server):
    """A frame over 256 KiB is parsed by a media worker; chat goes on meanwhile and the image arrives."""
    ann, ben, bys = await room(server, "ib-ann", "ib-ben", "ib-bys")
    noisy = png(250, 120, noise=True)
    assert len(noisy) > 80000  # as an array of integers the frame is well over 256 KiB
    await ann.send(action="file", channel="photos", message="noise.png", bytes=list(noisy))
    await ben.send(action="message", channel="lobby", message="meanwhile")
    seen = {}
    while len(seen) < 2:
        m = await bys.expect("message")
        seen[m["username"]] = m
    assert seen["ib-ben"]["message"] == "<p>meanwhile</p>"
    assert png_size(image_of(seen["ib-ann"]["message"])[1]) == (64, 31)


REFUSALS = [
    ("lobby", "pic.png", lambda: list(png(8, 8)), "Images are not permitted in that channel."),
    ("photos", "pic.bmp", lambda: list(png(8, 8)), "Unsupported image type"),
    ("photos", "pic.png", lambda: list(b"not an image at all"), "not a valid PNG image"),
    ("photos", "pic.jpg", lambda: list(corpus("jpeg_truncated")), "not a valid JPEG image"),
    ("photos", "big.png", lambda: list(os.urandom(300001)), "That image is too large"),
    ("photos", "bomb.png", lambda: list(png_header_only(100000, 100000)), "too many pixels"),
    ("photos", "pic.png", lambda: [], "That image is empty."),
    ("nowhere", "pic.png", lambda: list(png(8, 8)), "no channel called"),
]


@pytest.mark.parametrize("channel,name,data,text", REFUSALS, ids=[r[3][:24] for r in REFUSALS])
@run
async def test_image_refusals_go_to_the_sender_only(server, channel, name, data, text):
    tag = re.sub(r"[^a-z]", "", text.lower())[:10]
    ann, bys = await room(server, f"ir-{tag}", f"ir-bys-{tag}")
    await ann.send(action="file", channel=channel, message=name, bytes=data())
    assert text in (await ann.expect("error", timeout=5))["message"]
    assert not await got(bys, "message")
    await ann.send(action="message", channel="lobby", message="after")
    assert (await bys.expect("message"))["message"] == "<p>after</p>"


@run
async def test_noimage_rule_and_dm_images_only_with_operators(server):
    rule, ann, ben, mod = await room(server, "in-rule", "in-ann", "in-ben", "in-mod", ops=("in-mod",),
                                     rules={"in-rule": ["noimage"]})
    await rule.send(action="file", channel="photos", message="a.png", bytes=list(png(8, 8)))
    assert "restricts your ability to share images" in (await rule.expect("error"))["message"]
    await ann.send(action="file", channel="@in-ben", message="a.png", bytes=list(png(8, 8)))
    assert "chat operator" in (await ann.expect("error"))["message"]
    assert not await got(ben, "message")
    await ann.send(action="file", channel="@in-mod", message="a.png", bytes=list(png(8, 8)))
    m = await mod.expect("message", username="in-ann")
    assert m["channel"] == "@in-ann" and image_of(m["message"])[0] == "image/png"
    assert (await ann.expect("message", username="in-ann"))["channel"] == "@in-mod"


# ---- message filters -------------------------------------------------------------------------

@run
async def test_censoring_filter_stars_the_match_for_everyone_and_answers_the_sender(server):
    ann, bys = await room(server, "mf-ann", "mf-bys")
    await ann.send(action="message", channel="lobby", message="oh darn, **darn** it")
    m = await bys.expect("message", username="mf-ann")
    assert m["message"] == "<p>oh ****, <strong>****</strong> it</p>"
    assert (await ann.expect("message"))["message"] == m["message"]
    assert WATCH in (await ann.expect("error"))["message"]
    assert not [e for e in await bys.drain(0.3) if e.get("action") == "error"]
    # "darnit" is no whole word: untouched.
    await ann.send(action="message", channel="lobby", message="darnit")
    assert (await bys.expect("message", username="mf-ann"))["message"] == "<p>darnit</p>"


@run
async def test_unforwarded_filter_keeps_the_message_with_its_sender_and_reports_it(server):
    ann, bys = await room(server, "mu-ann", "mu-bys")
    await ann.send(action="message", channel="lobby", message="the secretword is swordfish")
    mine = await ann.expect("message")
    assert mine["message"] == "<p>the secretword is swordfish</p>"
    assert SECRET_REPLY in (await ann.expect("error"))["message"]
    assert not await got(bys, "message")
    await asyncio.sleep(0.2)
    assert "message filter report: 'mu-ann'" in server.output()
    # Not kept for late joiners either (it was never published).
    late, frames = await fresh(server, "mu-late")
    assert "secretword" not in str(frames)


@run
async def test_dm_filters_are_waived_when_an_operator_takes_part(server):
    ann, ben, mod = await room(server, "md-ann", "md-ben", "md-mod", ops=("md-mod",))
    await ann.send(action="message", channel="@md-ben", message="darn")
    assert (await ben.expect("message", username="md-ann"))["message"] == "<p>****</p>"
    assert WATCH in (await ann.expect("error"))["message"]
    await ann.send(action="message", channel="@md-ben", message="secrets")
    assert SECRET_REPLY in (await ann.expect("error", timeout=3))["message"]
    assert not await got(ben, "message")
    await ann.send(action="message", channel="@md-mod", message="darn secrets")
    assert (await mod.expect("message", username="md-ann"))["message"] == "<p>darn secrets</p>"


@run
async def test_operator_is_told_instead_of_reported(server):
    mod, bys = await room(server, "mo-mod", "mo-bys", ops=("mo-mod",))
    await mod.send(action="message", channel="lobby", message="secret")
    errors = [e["message"] for e in await mod.drain(0.4) if e.get("action") == "error"]
    assert any("would have been reported" in e for e in errors)
    assert "message filter report: 'mo-mod'" not in server.output()
