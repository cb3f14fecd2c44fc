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
