"""Per-recipient rules over the real server (protocol.md B.5-B.7): mute, block, blocklist, boot,
video-invite, VIP cameras and channels. One server for the whole module; each test uses its own
names, and a bystander who must still get everything."""
import asyncio
import json

import pytest

from conftest import room, Client, Server, post_json, run, settings_text, token

API_KEY = "relations-api-key"
ACTIVE, MUTUAL_REQUIRED, MUTUAL_OPEN, VIP_ONLY, INVITED = 1, 16, 32, 64, 128


@pytest.fixture(scope="module")
def server():
    text = settings_text(jwt=True, strict=False, limits={"MaxBlocklist": 5}, top={"AdminAPIKey": API_KEY})
    text += '\n[VIP]\nMutuallySecret = true\n\n[[PublicChannels]]\nID = "vips"\nName = "VIP Lounge"\nVIP = true\n'
    s = Server(text)
    yield s
    s.stop()


async def lobby_lines(client, wait=0.4):
    return [m for m in await client.drain(wait) if m.get("action") == "message"]


async def camera(client, video):
    await client.send(action="me", video=video, status="online")


@run
async def test_muted_sender_skips_the_muter_only(server):
    ann, ben, bys = await room(server, "m-ann", "m-ben", "m-bys")
    await ann.send(action="mute", username="m-ben")
    await asyncio.sleep(0.2)
    await ben.send(action="message", channel="lobby", message="can you hear me")
    assert (await bys.expect("message"))["message"] == "<p>can you hear me</p>"
    assert (await ben.expect("message"))["username"] == "m-ben"
    assert not await lobby_lines(ann)
    # Presence about the muted user is left out for the muter too.
    await ben.close()
    assert (await bys.expect("presence", username="m-ben"))["message"] == "has exited the room!"
    assert not [m for m in await ann.drain(0.4) if m.get("action") == "presence"]
    # Unmuting lets messages through again (from a new session with the same name).
    ben = await Client.joined(server, "m-ben")
    await ann.send(action="unmute", username="m-ben")
    await asyncio.sleep(0.2)
    await ben.send(action="message", channel="lobby", message="back")
    assert (await ann.expect("message"))["message"] == "<p>back</p>"


@run
async def test_mute_turns_the_muters_camera_off_for_the_muted(server):
    ann, ben, bys = await room(server, "c-ann", "c-ben", "c-bys")
    await camera(ann, ACTIVE | MUTUAL_OPEN)
    await bys.who_until(lambda e: e["c-ann"]["video"] == ACTIVE | MUTUAL_OPEN)
    await ann.send(action="mute", username="c-ben")
    who = await ben.who_until(lambda e: e["c-ann"]["video"] == 0)
    assert who["c-ben"]["username"] == "c-ben"
    await bys.drain(0.3)
    await camera(ann, ACTIVE | MUTUAL_OPEN | 4)  # a change everyone sees: a fresh list for the bystander
    assert (await bys.who_until(lambda e: e["c-ann"]["video"] & 4))["c-ann"]["video"] == ACTIVE | MUTUAL_OPEN | 4
    await ben.send(action="open", username="c-ann")
    err = await ben.notice("Could not open that video")
    assert err["message"] == "Could not open that video: You do not have permission to view that camera."
    await bys.send(action="open", username="c-ann")
    assert (await bys.expect("open"))["username"] == "c-ann"


@run
async def test_operator_sees_through_a_mute_and_boot_with_only_mutual_open_cleared(server):
    ann, opal, bys = await room(server, "o-ann", "o-opal", "o-bys", ops=("o-opal",))
    await camera(ann, ACTIVE | MUTUAL_OPEN)
    await ann.send(action="boot", username="o-opal")
    told = await opal.notice("booted you")
    assert told["message"] == "o-ann has booted you off of their camera!"
    who = await opal.who_until(lambda e: e["o-ann"]["video"] == ACTIVE)
    assert who["o-ann"]["video"] == ACTIVE
    await opal.send(action="open", username="o-ann")
    note = await opal.notice("Note:")
    assert note["message"] == "Note: o-ann had booted you off their camera before, and won't be notified of your watch."
    assert (await opal.expect("open"))["username"] == "o-ann"
    assert (await ann.expect("ring"))["username"] == "o-opal"
    await ann.send(action="mute", username="o-opal")
    assert (await opal.notice("has muted you"))["message"] == "o-ann has muted you! Your new mute status is: true"


@run
async def test_boot_hides_the_camera_and_refuses_open_until_unboot(server):
    ann, ben, bys = await room(server, "b-ann", "b-ben", "b-bys")
    await camera(ann, ACTIVE)
    await ben.who_until(lambda e: e["b-ann"]["video"] == ACTIVE)
    await ann.send(action="boot", username="b-ben")
    await ben.who_until(lambda e: e["b-ann"]["video"] == 0)
    await ben.send(action="open", username="b-ann")
    assert "permission" in (await ben.notice("Could not open that video"))["message"]
    assert not [m for m in await ann.drain(0.3) if m.get("action") == "ring"]
    # The booted user is never told; messages still flow both ways.
    await ann.send(action="message", channel="lobby", message="still talking")
    assert (await ben.expect("message"))["message"] == "<p>still talking</p>"
    await ann.send(action="unboot", username="b-ben")
    await ben.who_until(lambda e: e["b-ann"]["video"] == ACTIVE)
    await ben.send(action="open", username="b-ann")
    assert (await ben.expect("open"))["username"] == "b-ann"


@run
async def test_block_hides_both_ways_and_drops_messages_and_dms(server):
    ann, ben, bys = await room(server, "k-ann", "k-ben", "k-bys")
    await ann.send(action="block", username="k-ben")
    who_b = await ben.who_until(lambda e: "k-ann" not in e)
    assert set(who_b) == {"k-ben", "k-bys"}
    who_a = await ann.who_until(lambda e: "k-ben" not in e)
    assert set(who_a) == {"k-ann", "k-bys"}
    await bys.send(action="me", video=0, status="away")
    assert set(await bys.who_until(lambda e: e["k-bys"]["status"] == "away")) == {"k-ann", "k-ben", "k-bys"}
    await ben.send(action="message", channel="lobby", message="from ben")
    await ann.send(action="message", channel="lobby", message="from ann")
    got = [m["message"] for m in await lobby_lines(bys, 0.5)]
    assert sorted(got) == ["<p>from ann</p>", "<p>from ben</p>"]
    assert [m["message"] for m in await lobby_lines(ann)] == ["<p>from ann</p>"]
    assert [m["message"] for m in await lobby_lines(ben)] == ["<p>from ben</p>"]
    await ben.send(action="message", channel="@k-ann", message="psst")
    assert (await ben.expect("message"))["channel"] == "@k-ann"  # the sender's own copy
    assert not await lobby_lines(ann)
    await camera(ann, ACTIVE)
    await bys.who_until(lambda e: e["k-ann"]["video"] == ACTIVE)
    await ben.send(action="open", username="k-ann")
    assert "permission" in (await ben.notice("Could not open that video"))["message"]


@run
async def test_blocking_an_operator_is_refused(server):
    ann, opal = await room(server, "p-ann", "p-opal", ops=("p-opal",))
    await ann.send(action="block", username="p-opal")
    assert (await ann.notice("operator"))["message"] == "You are not allowed to block a chat operator."
    await opal.send(action="message", channel="lobby", message="moderator here")
    assert (await ann.expect("message"))["message"] == "<p>moderator here</p>"
    # A blocklist naming the operator mutes but does not hide them.
    await ann.send(action="blocklist", usernames=["p-opal"])
    await opal.send(action="me", video=0, status="away")
    assert "p-opal" in await ann.who_until(lambda e: e.get("p-opal", {}).get("status") == "away")


@run
async def test_dm_rules_mute_both_ways(server):
    ann, ben, opal, bys = await room(server, "d-ann", "d-ben", "d-opal", "d-bys", ops=("d-opal",))
    await ann.send(action="mute", username="d-ben")
    await asyncio.sleep(0.2)
    # A DM to someone who muted you is dropped silently: the sender gets only their copy.
    await ben.send(action="message", channel="@d-ann", message="hello?")
    assert (await ben.expect("message"))["channel"] == "@d-ann"
    assert not [m for m in await ben.drain(0.3) if m.get("action") == "error"]
    assert not await lobby_lines(ann)
    # A DM to someone you muted is refused with a notice.
    await ann.send(action="message", channel="@d-ben", message="go away")
    assert (await ann.notice("muted"))["message"] == "You have muted d-ben and so your message has not been sent."
    assert not await lobby_lines(ben)
    # Operators bypass a mute.
    await ann.send(action="mute", username="d-opal")
    await asyncio.sleep(0.2)
    await opal.send(action="message", channel="@d-ann", message="from the operator")
    assert (await ann.expect("message", username="d-opal"))["message"] == "<p>from the operator</p>"
    # Others are unaffected.
    await bys.send(action="message", channel="@d-ann", message="hi ann")
    assert (await ann.expect("message", username="d-bys"))["channel"] == "@d-bys"


@run
async def test_blocklist_before_login_applies_once_in_the_room(server):
    ben, bys = await room(server, "l-ben", "l-bys")
    ann = await Client.connect(server)
    await ann.send(action="blocklist", usernames=["l-ben", 7, "", "l-ann"])  # a number: refused whole
    err = await ann.expect("error")
    assert err["username"] == "ChatServer"
    await ann.send(action="blocklist", usernames=["l-ben", "", "l-ann", "<bad>"])
    await ann.login("l-ann")
    who = await ann.who_until(lambda e: "l-ann" in e)
    assert "l-ben" not in who and "l-bys" in who
    await ben.send(action="message", channel="lobby", message="ben speaks")
    assert (await bys.expect("message"))["message"] == "<p>ben speaks</p>"
    assert not await lobby_lines(ann)
    # Ben never sees ann's presence or her entry.
    got = await ben.drain(0.4)
    assert not [m for m in got if m.get("action") == "presence" and m.get("username") == "l-ann"]
    assert all("l-ann" not in [e["username"] for e in m["whoList"]] for m in got if m.get("action") == "who")


@run
async def test_a_blocklist_over_the_limit_is_refused_and_the_connection_stays(server):
    ann, ben = await room(server, "x-ann", "x-ben")
    await ann.send(action="blocklist", usernames=[f"n{i}" for i in range(6)] + ["x-ben"])
    err = await ann.notice("too many names")
    assert err["message"] == "Your blocklist has too many names: at most 5 are allowed. Nothing was changed."
    await ben.send(action="message", channel="lobby", message="not blocked")
    assert (await ann.expect("message"))["message"] == "<p>not blocked</p>"
    await ann.send(action="mute", username="x-ann")
    assert (await ann.notice("yourself"))["message"] == "You can not mute yourself."
    await ann.send(action="mute")
    assert "needs a username" in (await ann.notice("needs a username"))["message"]
    await ann.send(action="mute", username="nobody-here")  # offline: stored quietly
    await ann.send(action="message", channel="lobby", message="alive")
    assert (await ben.expect("message", username="x-ann"))["message"] == "<p>alive</p>"


@run
async def test_video_invite_sets_invited_and_opens_mutual_and_vip_only_cameras(server):
    vic, ann, bys = await room(server, "i-vic", "i-ann", "i-bys", vips=("i-vic",))
    await camera(vic, ACTIVE | MUTUAL_REQUIRED | VIP_ONLY)
    await vic.who_until(lambda e: e["i-vic"]["video"] == ACTIVE | MUTUAL_REQUIRED | VIP_ONLY)
    # VIP-only: off to non-VIPs, and opening is refused.
    who = await bys.who_until(lambda e: True)
    assert who["i-vic"]["video"] == 0
    await ann.send(action="open", username="i-vic")
    assert "has requested that you should share your own camera" in (await ann.notice("Could not open"))["message"]
    await camera(ann, ACTIVE)
    await ann.drain(0.2)
    await ann.send(action="open", username="i-vic")
    assert (await ann.notice("Could not open"))["message"] == (
        "Could not open that video: You do not have permission to view that camera.")
    await camera(ann, 0)
    await vic.send(action="video-invite", usernames=["i-ann"])
    who = await ann.who_until(lambda e: e["i-vic"]["video"] != 0)
    assert who["i-vic"]["video"] == ACTIVE | MUTUAL_REQUIRED | VIP_ONLY | INVITED
    await ann.send(action="open", username="i-vic")
    assert (await ann.expect("open"))["username"] == "i-vic"
    # The bystander was not invited: still off.
    await bys.drain(0.2)
    await bys.send(action="open", username="i-vic")
    assert "Could not open that video" in (await bys.notice("Could not open"))["message"]


@run
async def test_vip_flag_and_vip_only_camera_as_vips_and_others_see_them(server):
    vic, vera, gus = await room(server, "v-vic", "v-vera", "v-gus", vips=("v-vic", "v-vera"))
    await camera(vic, ACTIVE | VIP_ONLY)
    vip_view = await vera.who_until(lambda e: e["v-vic"]["video"] == ACTIVE | VIP_ONLY)
    assert vip_view["v-vic"].get("vip") is True and vip_view["v-vera"].get("vip") is True
    plain_view = await gus.who_until(lambda e: "v-vic" in e)
    assert plain_view["v-vic"]["video"] == 0
    assert "vip" not in plain_view["v-vic"] and "vip" not in plain_view["v-vera"]  # MutuallySecret
    # A guest cannot make their camera VIP-only.
    await camera(gus, ACTIVE | VIP_ONLY)
    assert (await vera.who_until(lambda e: e["v-gus"]["video"] != 0))["v-gus"]["video"] == ACTIVE


@run
async def test_vip_channel_reaches_vips_and_operators_only(server):
    vic, opal, gus = await room(server, "h-vic", "h-opal", "h-gus", ops=("h-opal",), vips=("h-vic",))
    await vic.send(action="message", channel="vips", message="vip talk")
    assert (await vic.expect("message"))["channel"] == "vips"
    assert (await opal.expect("message"))["message"] == "<p>vip talk</p>"
    assert not await lobby_lines(gus)
    await gus.send(action="message", channel="vips", message="let me in")
    assert (await gus.notice("VIP"))["message"] == "That channel is for VIP members only."
    assert not await lobby_lines(vic)


@run
async def test_api_block_now_blocks_the_listed_users_and_tells_them(server):
    ann, ben, bys = await room(server, "a-ann", "a-ben", "a-bys")
    assert post_json(server, "/api/block/now", {"APIKey": "wrong", "Usernames": ["a-ann", "a-ben"]}) == (
        401, {"OK": False, "Error": "Authentication denied"})
    assert post_json(server, "/api/block/now", {"APIKey": API_KEY, "Usernames": "a-ann"})[0] == 400
    assert post_json(server, "/api/block/now", {"APIKey": API_KEY, "Usernames": ["a-ann", 3]})[0] == 400
    assert post_json(server, "/api/block/now", b"{not json", )[0] == 400
    assert post_json(server, "/api/block/now", {"APIKey": API_KEY, "Usernames": []}, "text/plain")[0] == 400
    assert not [m for m in await ann.drain(0.3) if m.get("action") == "block"]
    status, body = post_json(server, "/api/block/now", {"APIKey": API_KEY, "Usernames": ["a-ann", "a-ben", "gone"]})
    assert (status, body) == (200, {"OK": True})
    assert (await ann.expect("block"))["username"] == "a-ben"
    assert (await ben.expect("block"))["username"] == "a-ann"
    assert "a-ben" not in await ann.who_until(lambda e: "a-ben" not in e)
    await ben.send(action="message", channel="lobby", message="hidden now")
    assert (await bys.expect("message", username="a-ben"))["message"] == "<p>hidden now</p>"
    assert not await lobby_lines(ann)


def presence_batches(server):
    status, _, body = server.http("/metrics")
    assert status == 200
    line = next(l for l in body.splitlines() if l.startswith("barertc_presence_batches_total "))
    return int(float(line.split()[1]))


@run
async def test_a_burst_of_logins_reaches_everyone_as_lines_and_mutes_still_apply(server):
    """Logins faster than the presence window are sent as one batch per recipient: each line still
    arrives as a message of its own, to plain and compressed clients alike, and a user who muted
    one of the joiners does not get that joiner's line."""
    watcher = await Client.connect(server, compression=None)
    await watcher.login("burstwatcher")
    squeezed = await Client.connect(server)  # offers permessage-deflate
    await squeezed.login("burstsqueezed")
    assert len(squeezed.ws.extensions) == 1
    await watcher.send(action="mute", username="burstnoisy")
    await watcher.drain(0.2)
    await squeezed.drain(0.05)
    names = ["burstnoisy"] + [f"burst{i}" for i in range(24)]
    for attempt in range(5):
        before = presence_batches(server)
        joiners = await asyncio.gather(*(Client.connect(server) for _ in names))
        await asyncio.gather(*(c.send(action="login", username=n) for c, n in zip(joiners, names)))
        got = {"w": [], "s": []}
        for key, c, want in (("s", squeezed, len(names)), ("w", watcher, len(names) - 1)):
            deadline = asyncio.get_event_loop().time() + 5
            while len(got[key]) < want and asyncio.get_event_loop().time() < deadline:
                for m in await c.drain(0.2):
                    if m.get("action") == "presence" and m["message"] == "has joined the room!":
                        got[key].append(m["username"])
        batched = presence_batches(server) > before
        assert sorted(got["s"]) == sorted(names)
        assert sorted(got["w"]) == sorted(n for n in names if n != "burstnoisy")
        for c in joiners:
            await c.close()
        await watcher.drain(0.3)
        await squeezed.drain(0.05)
        if batched:
            return
    pytest.fail("five bursts of 25 logins never formed a presence batch")
