#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

#include "protocol/html_sanitizer.hpp"
#include "protocol/markdown.hpp"

using namespace barertc::protocol;

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

TEST_CASE("GitHub-flavoured Markdown renders", "[markdown]") {
  CHECK(render_markdown("**bold** and _it_") == "<p><strong>bold</strong> and <em>it</em></p>");
  CHECK(render_markdown("~~gone~~") == "<p><del>gone</del></p>");
  CHECK(render_markdown("line1\nline2") == "<p>line1<br>\nline2</p>");
  CHECK(render_markdown("`a < b`") == "<p><code>a &lt; b</code></p>");
}

TEST_CASE("links open in a new tab with nofollow noopener", "[markdown]") {
  CHECK(render_markdown("https://example.com") ==
        R"(<p><a href="https://example.com" target="_blank" rel="nofollow noopener">https://example.com</a></p>)");
  CHECK(render_markdown("[x](http://a.example/?q=1&r=2)") ==
        R"(<p><a href="http://a.example/?q=1&amp;r=2" target="_blank" rel="nofollow noopener">x</a></p>)");
  // A link's own target and rel are replaced by ours.
  CHECK(render_markdown(R"(<a href="https://e.example" target="_top" rel="opener">x</a>)") ==
        R"(<p><a href="https://e.example" target="_blank" rel="nofollow noopener">x</a></p>)");
}

TEST_CASE("script injection vectors stay inert", "[markdown][security]") {
  const char* vectors[] = {
      "<script>alert(1)</script>",
      "<img src=x onerror=alert(1)>",
      "<svg/onload=alert(1)>",
      "[a](javascript:alert(1))",
      "[a](JaVaScRiPt:alert(1))",
      "[a](  javascript:alert(1))",
      "[a](vbscript:msgbox)",
      "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
      "![a](javascript:alert(1))",
      "<a href=\"javascript:alert(1)\">x</a>",
      "<iframe src=\"//evil\"></iframe>",
      "<style>body{display:none}</style>",
      "<div onmouseover=\"alert(1)\">hover</div>",
      "<textarea><script>alert(1)</script></textarea>",
      "[x](https://ok.example \"title\\\" onmouseover=\\\"alert(1)\")",
      "<<script>script>alert(1)<</script>/script>",
      "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
      "<object data=\"javascript:alert(1)\">",
      "<body onload=alert(1)>",
      "<input autofocus onfocus=alert(1)>",
      "`<script>` is fine in code",
      "<!-- <script>alert(1)</script> -->",
  };
  for (auto v : vectors) {
    auto html = lower(render_markdown(v));
    INFO(v << " -> " << html);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("javascript:") == std::string::npos);
    CHECK(html.find("vbscript:") == std::string::npos);
    CHECK(html.find("data:text/html") == std::string::npos);
    CHECK(html.find("<img src=x") == std::string::npos);
    CHECK(html.find("<iframe") == std::string::npos);
    CHECK(html.find("<svg") == std::string::npos);
    CHECK(html.find("<style") == std::string::npos);
    CHECK(html.find("<object") == std::string::npos);
    CHECK(html.find("<input") == std::string::npos);
    CHECK(html.find("<div") == std::string::npos);
    CHECK(html.find("\" onmouseover") == std::string::npos);
  }
}

TEST_CASE("escape_html escapes the five special characters", "[markdown]") {
  CHECK(escape_html(R"(<a href="x">'&'</a>)") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST_CASE("only relative, http(s) and mailto link targets survive", "[markdown][security]") {
  CHECK(render_markdown("[a](https://ok.example/x)").find("href=\"https://ok.example/x\"") != std::string::npos);
  CHECK(render_markdown("[a](/relative?q=1)").find("href=\"/relative?q=1\"") != std::string::npos);
  CHECK(render_markdown("[a](mailto:x@example.com)").find("href=\"mailto:x@example.com\"") != std::string::npos);
  for (const char* v : {"![a](data:image/png;base64,iVBORw0KGgo=)", "[a](data:image/png;base64,AAAA)",
                        "[a](file:///etc/passwd)", "[a](//evil.example/x)", "[a](&#106;avascript:alert(1))",
                        "<javascript:alert(1)>", "[a](java&#x09;script:alert(1))"}) {
    auto html = lower(render_markdown(v));
    INFO(v << " -> " << html);
    // The target is dropped; the text of an autolink may still read "javascript:...", as text.
    CHECK(html.find("href=") == std::string::npos);
    CHECK(html.find("src=") == std::string::npos);
    CHECK(html.find("=\"data:") == std::string::npos);
    CHECK(html.find("=\"file:") == std::string::npos);
    CHECK(html.find("=\"//evil") == std::string::npos);
    CHECK(html.find("=\"javascript:") == std::string::npos);
  }
}

TEST_CASE("the allowlisted inline HTML survives as the reference allows", "[markdown][sanitiser]") {
  CHECK(render_markdown("<b>hi</b> <i>i</i> <u>u</u> <s>s</s> <sup>2</sup> <sub>x</sub> <code>c</code>") ==
        "<p><b>hi</b> <i>i</i> <u>u</u> <s>s</s> <sup>2</sup> <sub>x</sub> <code>c</code></p>");
  CHECK(render_markdown("<blockquote>q</blockquote>") == "<blockquote>q</blockquote>");
  CHECK(render_markdown("<ul><li>a</li></ul>") == "<ul><li>a</li></ul>");
  CHECK(render_markdown("<pre>p</pre>") == "<pre>p</pre>");
  CHECK(render_markdown("<table><tr><td colspan=\"2\" align=\"right\">t</td></tr></table>") ==
        R"(<table><tbody><tr><td colspan="2" align="right">t</td></tr></tbody></table>)");
  CHECK(render_markdown("<a href=\"mailto:a@b.example\" title=\"t\">m</a>") ==
        R"(<p><a href="mailto:a@b.example" title="t" target="_blank" rel="nofollow noopener">m</a></p>)");
  CHECK(render_markdown("<img src=\"https://i.example/a.png\" alt=\"a\" width=\"20\" height=\"10\">") ==
        R"(<img src="https://i.example/a.png" alt="a" width="20" height="10">)");
  // Markdown tables and fenced code keep what cmark writes.
  CHECK(render_markdown("| a |\n|:-:|\n| 1 |").find("<th align=\"center\">a</th>") != std::string::npos);
  CHECK(render_markdown("```js\nx\n```") == "<pre><code class=\"language-js\">x\n</code></pre>");
}

TEST_CASE("dangerous elements, attributes and schemes are removed", "[markdown][sanitiser][security]") {
  CHECK(render_markdown("<script>alert(1)</script>after") == "after");
  CHECK(render_markdown("<p style=\"position:fixed\" onclick=\"x()\" class=\"button\" id=\"me\">p</p>") == "<p>p</p>");
  CHECK(render_markdown("<iframe src=\"https://e.example\">in</iframe>x") == "x");
  CHECK(render_markdown("<img src=\"https://e.example/a.png\" onerror=\"alert(1)\" width=\"9e9\">") ==
        R"(<img src="https://e.example/a.png">)");
  CHECK(render_markdown("<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">") == "<img>");
  // Images in text would get around PermitPhotos: only the server makes data: previews.
  CHECK(render_markdown("<img src=\"data:image/png;base64,iVBORw0KGgo=\">") == "<img>");
  CHECK(render_markdown("<img src=\"/relative.png\">") == "<img>");
  CHECK(render_markdown("<a href=\"vbscript:x\">v</a>") == R"(<p><a target="_blank" rel="nofollow noopener">v</a></p>)");
  CHECK(render_markdown("<div><font color=\"red\">unwrapped</font></div>") == "unwrapped");
  CHECK(render_markdown("<code class=\"x language-js\">c</code>") == "<p><code>c</code></p>");
  CHECK(render_markdown("<form action=\"https://e.example\"><input name=q><button>go</button></form>t") == "t");
}

TEST_CASE("nesting is capped, so a short message cannot become a huge one", "[markdown][sanitiser]") {
  std::string quotes(4000, '>');
  auto html = render_markdown(quotes + " deep");
  size_t opened = 0;
  for (size_t p = html.find("<blockquote>"); p != std::string::npos; p = html.find("<blockquote>", p + 1)) ++opened;
  CHECK(opened == 12);
  CHECK(html.find("deep") != std::string::npos);
  CHECK(html.size() < 12000);
  std::string lists;
  for (int i = 0; i < 500; ++i) lists += std::string(static_cast<size_t>(i) * 2, ' ') + "- x\n";
  CHECK(render_markdown(lists).size() < 20000);
  std::string tags;
  for (int i = 0; i < 1000; ++i) tags += "<b>";
  auto b = render_markdown(tags + "x");
  CHECK(b.size() < 200);
  CHECK(b.find('x') != std::string::npos);
}

TEST_CASE("the allowlist answers for elements and attributes", "[sanitiser]") {
  CHECK(allowed_element("sup"));
  CHECK_FALSE(allowed_element("script"));
  CHECK_FALSE(allowed_element("div"));
  CHECK(allowed_attribute("a", "href", "https://x.example"));
  CHECK_FALSE(allowed_attribute("a", "href", "javascript:alert(1)"));
  CHECK_FALSE(allowed_attribute("a", "onclick", "x"));
  CHECK(allowed_attribute("img", "src", "https://x.example/a.gif"));
}
