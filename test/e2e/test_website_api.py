"""The website's side of the chat (server.md D.3, E): its JSON APIs and the webhooks the chat
calls, through the real server and a real webhook receiver on loopback. One server for the whole
module; each test uses its own names."""
import asyncio
import json

import jwt as pyjwt
import pytest

from conftest import SECRET, Client, Server, post_json, room, run, settings_text, token

API_KEY = "website-api-key"


FILTERS = """
[[MessageFilters]]
Enabled = true
PublicChannels = true
PrivateChannels = true
KeywordPhrases = ['\\bbadword\\b']
ForwardMessage = true
ReportMessage = true
"""


@pytest.fixture(scope="module")
def server(receiver):
    text = settings_text(jwt=True, strict=False, top={"AdminAPIKey": API_KEY}, limits={"MaxBodyBytes": 4096})
    text += FILTERS
    text += (f'\n[[WebhookURLs]]\nName = "report"\nEnabled = true\nURL = "http://127.0.0.1:{receiver.port}/report"\n'
             f'\n[[WebhookURLs]]\nName = "profile"\nEnabled = true\nURL = "http://127.0.0.1:{receiver.port}/profile"\n')
    s = Server(text)
    yield s
    s.stop()


def api(server, path, body, **kw):
    return post_json(server, path, body, **kw)


def common_refusals(server, path, good):
    """What every API refuses: a wrong key (401), no JSON, a wrong method or content type (400)."""
    status, body = api(server, path, {**good, "APIKey": "wrong"})
    assert (status, body) == (401, {"OK": False, "Error": "Authentication denied"})
    assert api(server, path, {k: v for k, v in good.items() if k != "APIKey"})[0] == 401
    status, body = api(server, path, b"{not json")
    assert status == 400 and body["OK"] is False and "JSON" in body["Error"]
    assert api(server, path, good, content_type="text/plain")[0] == 400
    status, _, text = server.http(path)
    assert status == 400 and json.loads(text)["Error"] == "Only POST methods allowed"


# ---- APIs ------------------------------------------------------------------------------------

@run
async def test_authenticate_signs_a_five_minute_token_that_signs_in(server):
    good = {"APIKey": API_KEY, "Claims": {"sub": "au-bot", "nick": "The Bot", "op": True}}
    common_refusals(server, "/api/authenticate", good)
    assert api(server, "/api/authenticate", {"APIKey": API_KEY, "Claims": "au-bot"}) == (
        400, {"OK": False, "Error": "'Claims' must be an object"})
    assert api(server, "/api/authenticate", {"APIKey": API_KEY, "Claims": {"sub": 7}})[0] == 400
    status, body = api(server, "/api/authenticate", good)
    assert status == 200 and body["OK"] is True
    claims = pyjwt.decode(body["JWT"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == "au-bot" and claims["op"] is True and claims["exp"] - claims["iat"] == 300
    bot = await Client.connect(server)
    me = await bot.login("whatever", jwt=body["JWT"])
    assert me["username"] == "au-bot"
    who = await bot.who_until(lambda e: "au-bot" in e)
    assert who["au-bot"]["op"] is True and who["au-bot"]["nickname"] == "The Bot"


@run
async def test_amend_jwt_swaps_the_claims_of_an_online_token_user(server):
    ann = await Client.connect(server)
    await ann.login("", jwt=token("am-ann", nick="Ann"))
    watcher, = await room(server, "am-watch")
    new = token("am-ann", nick="Ann Again", op=True, rules=["novideo"])
    good = {"APIKey": API_KEY, "Username": "am-ann", "JWTToken": new}
    common_refusals(server, "/api/amend-jwt", good)
    assert api(server, "/api/amend-jwt", {**good, "Username": 3})[0] == 400
    status, body = api(server, "/api/amend-jwt", {**good, "JWTToken": token("am-ann", key="wrong")})
    assert status == 400 and "Invalid JWT token" in body["Error"]
    assert api(server, "/api/amend-jwt", {**good, "Username": "am-nobody"}) == (
        404, {"OK": False, "Error": "That user is not online"})
    assert api(server, "/api/amend-jwt", good) == (200, {"OK": True})
    ping = await ann.expect("ping")
    assert ping["jwtRules"]["IsNoVideoRule"] is True
    assert pyjwt.decode(ping["jwt"], SECRET, algorithms=["HS256"])["nick"] == "Ann Again"
    await ann.expect("me", username="am-ann")
    who = await watcher.who_until(lambda e: e.get("am-ann", {}).get("nickname") == "Ann Again")
    assert who["am-ann"]["op"] is True
    # Operator rights came with the new claims.
    await ann.send(action="message", channel="lobby", message="/help")
    await ann.notice("/kick")


@run
async def test_amend_jwt_may_rename_a_user(server):
    ren = await Client.connect(server)
    await ren.login("", jwt=token("rn-old"))
    watcher, = await room(server, "rn-watch")
    bad = {"APIKey": API_KEY, "Username": "rn-old", "JWTToken": token("rn/bad")}
    assert api(server, "/api/amend-jwt", bad) == (400, {"OK": False, "Error": "The new token's 'sub' is not a valid username"})
    assert api(server, "/api/amend-jwt", {**bad, "JWTToken": token("rn-new")}) == (200, {"OK": True})
    await ren.expect("me", username="rn-new")
    who = await watcher.who_until(lambda e: "rn-new" in e)
    assert "rn-old" not in who
    await ren.send(action="message", channel="lobby", message="my new name")
    await watcher.expect("message", username="rn-new")
    assert api(server, "/api/amend-jwt", {**bad, "JWTToken": token("rn-new")})[0] == 404  # rn-old is gone


@run
async def test_blocklist_is_applied_when_the_user_signs_in(server):
    good = {"APIKey": API_KEY, "Username": "bl-ann", "Blocklist": ["bl-ben"]}
    common_refusals(server, "/api/blocklist", good)
    assert api(server, "/api/blocklist", {**good, "Blocklist": "bl-ben"}) == (
        400, {"OK": False, "Error": "'Blocklist' must be an array of usernames"})
    assert api(server, "/api/blocklist", good) == (200, {"OK": True})
    bystander, = await room(server, "bl-see")
    ben = await Client.joined(server, "bl-ben")
    ann = await Client.connect(server)
    await ann.login("bl-ann")
    await ann.expect("block", username="bl-ben")  # for the page's cached blocklist
    await bystander.who_until(lambda e: "bl-ann" in e and "bl-ben" in e)
    who = await ann.who_until(lambda e: "bl-see" in e)
    assert "bl-ben" not in who and "bl-ann" in who
    await ben.send(action="message", channel="lobby", message="hello from ben")
    await bystander.expect("message", username="bl-ben")
    assert not [m for m in await ann.drain(0.4) if m.get("username") == "bl-ben"]


@run
async def test_disconnect_now_signs_out_the_online_users_it_names(server):
    ann, ben, see = await room(server, "dc-ann", "dc-ben", "dc-see")
    good = {"APIKey": API_KEY, "Usernames": ["dc-ann", "dc-gone"], "Message": "Bye for now", "Kick": True}
    common_refusals(server, "/api/disconnect/now", {**good, "Usernames": ["dc-none"]})
    assert api(server, "/api/disconnect/now", {**good, "Kick": "yes"}) == (
        400, {"OK": False, "Error": "'Kick' must be true or false"})
    assert api(server, "/api/disconnect/now", good) == (200, {"OK": True, "Removed": 1})
    await ann.notice("Bye for now")
    await ann.expect("disconnect")
    await see.expect("presence", username="dc-ann", message="has been kicked from the room!")
    assert "dc-ann" not in await see.who_until(lambda e: "dc-ann" not in e)
    status, body = api(server, "/api/disconnect/now", {"APIKey": API_KEY, "Usernames": ["dc-ben"]})
    assert (status, body) == (200, {"OK": True, "Removed": 1})
    await see.expect("presence", username="dc-ben", message="has exited the room!")
    assert api(server, "/api/disconnect/now", {"APIKey": API_KEY, "Usernames": ["dc-ben"]}) == (
        200, {"OK": True, "Removed": 0})


@run
async def test_profile_returns_the_profile_webhooks_data(server, receiver):
    caller = token("pf-ann")
    good = {"JWTToken": caller, "Username": "pf-bob"}
    status, body = api(server, "/api/profile", good)
    assert status == 200 and body == receiver.profile["Data"]
    assert ("/profile", "application/json", {"Action": "profile", "APIKey": API_KEY, "Username": "pf-bob"}) in receiver.calls
    status, body = api(server, "/api/profile", {**good, "JWTToken": token("pf-ann", key="wrong")})
    assert status == 401 and "Invalid JWT token" in body["Error"]
    assert api(server, "/api/profile", {"JWTToken": caller})[0] == 400
    assert api(server, "/api/profile", good, content_type="text/plain")[0] == 400
    receiver.profile_status = 503
    try:
        status, body = api(server, "/api/profile", good)
        assert status == 500 and "status 503" in body["Error"]
    finally:
        receiver.profile_status = 200


@run
async def test_statistics_count_cameras_and_leave_hidden_users_out():
    s = Server(settings_text(jwt=True, strict=False))
    try:
        op, blue, red = await room(s, "st-op", "st-blue", "st-red", ops=("st-op",))
        await blue.send(action="me", video=1, status="online")
        await red.send(action="me", video=3, status="online")
        await op.send(action="me", video=0, status="hidden")
        for _ in range(40):
            stats = json.loads(s.http("/api/statistics")[2])
            if stats.get("Cameras") == {"Blue": 1, "Red": 1} and stats["UserCount"] == 2:
                break
            await asyncio.sleep(0.05)
        assert stats == {"UserCount": 2, "Usernames": ["st-blue", "st-red"], "Cameras": {"Blue": 1, "Red": 1}}
    finally:
        s.stop()


def test_unknown_apis_and_oversized_bodies_get_json_errors(server):
    assert api(server, "/api/nothing", {"APIKey": API_KEY}) == (404, {"OK": False, "Error": "Not found"})
    status, body = api(server, "/api/block/now", {"APIKey": API_KEY, "Usernames": ["x" * 5000]})
    assert status == 413 and body["OK"] is False and "MaxBodyBytes" in body["Error"]


# ---- The report webhook ----------------------------------------------------------------------

@run
async def test_report_button_posts_to_the_webhook_and_tells_the_user(server, receiver):
    ann, = await room(server, "rb-ann")
    await ann.send(action="report", channel="lobby", username="rb-bad", timestamp="2026-01-01T00:00:00Z",
                   reason="Harassment", message="the offending line", comment="please look")
    await ann.notice("delivered successfully")
    body = await receiver.report_about("rb-bad")
    assert body == {"Action": "report", "APIKey": API_KEY, "Report": {
        "FromUsername": "rb-ann", "AboutUsername": "rb-bad", "Channel": "lobby", "Timestamp": "2026-01-01T00:00:00Z",
        "Reason": "Harassment", "Message": "the offending line", "Comment": "please look"}}


@run
async def test_a_dm_report_carries_the_recent_lines_of_the_conversation(server, receiver):
    ann, ben = await room(server, "rd-ann", "rd-ben")
    await ben.send(action="message", channel="@rd-ann", message="first line from ben")
    await ann.expect("message", channel="@rd-ben")
    await ann.send(action="message", channel="@rd-ben", message="a reply")
    await ben.expect("message", channel="@rd-ann")
    await ann.send(action="report", channel="@rd-ben", username="rd-ben", reason="Spam", message="x", comment="c")
    await ann.notice("delivered successfully")
    comment = (await receiver.report_about("rd-ben"))["Report"]["Comment"]
    assert comment.startswith("c\n\n")
    assert "[rd-ben] first line from ben" in comment and "[rd-ann] a reply" in comment


@run
async def test_message_filters_report_public_and_direct_messages(server, receiver):
    ann, ben = await room(server, "mf-ann", "mf-ben")
    await ann.send(action="message", channel="lobby", message="a badword here")
    body = await receiver.report_about("mf-ann")
    assert body["Report"]["Reason"] == "Server Side Message Filter" and body["Report"]["Channel"] == "lobby"
    assert "badword" in body["Report"]["Message"]
    await ben.send(action="message", channel="@mf-ann", message="hi ann")
    await ann.expect("message", channel="@mf-ben")
    await ben.send(action="message", channel="@mf-ann", message="badword in private")
    body = await receiver.report_about("mf-ben")
    assert body["Report"]["Channel"] == "@mf-ann"
    assert "[mf-ben] hi ann" in body["Report"]["Comment"] and "[mf-ben] badword in private" in body["Report"]["Comment"]
    assert "message filter report" not in server.output()  # the webhook took it


@run
async def test_nsfw_command_is_reported(server, receiver):
    op, cam = await room(server, "ns-op", "ns-cam", ops=("ns-op",))
    await cam.send(action="me", video=1, status="online")
    await op.who_until(lambda e: e.get("ns-cam", {}).get("video", 0) & 1)
    await op.send(action="message", channel="lobby", message="/nsfw ns-cam")
    body = await receiver.report_about("ns-cam")
    assert body["Report"]["FromUsername"] == "ns-op" and body["Report"]["Reason"] == "NSFW command issued"


@run
async def test_the_reporter_is_told_when_the_website_fails_or_times_out(server, receiver):
    ann, = await room(server, "rf-ann")
    receiver.mode = "fail"
    try:
        await ann.send(action="report", channel="lobby", username="rf-x", reason="r", message="m")
        await ann.notice("the website answered with status 500")
        receiver.mode = "slow"
        await ann.send(action="report", channel="lobby", username="rf-y", reason="r", message="m")
        await ann.notice("did not answer within 10 seconds", timeout=20)
        # The chat went on meanwhile.
        await ann.send(action="message", channel="lobby", message="still here")
        await ann.expect("message", username="rf-ann")
    finally:
        receiver.mode = "ok"


@run
async def test_without_the_webhook_reports_say_so_and_filters_log(make_server):
    s = make_server(jwt=True, strict=False)
    ann, = await room(s, "nw-ann")
    await ann.send(action="report", channel="lobby", username="nw-x", reason="r", message="m")
    await ann.notice("not enabled")
    status, body = post_json(s, "/api/profile", {"JWTToken": token("nw-ann"), "Username": "nw-x"})
    assert status == 400 and "profile webhook is not enabled" in body["Error"]


# ---- Shutdown --------------------------------------------------------------------------------

@run
async def test_api_shutdown_tells_everyone_and_exits_for_a_restart():
    s = Server(settings_text(top={"AdminAPIKey": API_KEY}))
    try:
        ann, = await room(s, "sd-ann")
        common_refusals(s, "/api/shutdown", {"APIKey": API_KEY})
        assert s.proc.poll() is None
        assert post_json(s, "/api/shutdown", {"APIKey": API_KEY}) == (200, {"OK": True})
        await ann.notice("going down for a reboot")
        assert await asyncio.to_thread(s.proc.wait, 10) == 75
    finally:
        s.stop()


@run
async def test_shutdown_command_exits_for_a_restart():
    s = Server(settings_text(jwt=True, strict=False))
    try:
        op, = await room(s, "sc-op", ops=("sc-op",))
        await op.send(action="message", channel="lobby", message="/shutdown")
        assert await asyncio.to_thread(s.proc.wait, 10) == 75
    finally:
        s.stop()
