#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

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
  CHECK(render_markdown("line1\nline2") == "<p>line1<br />\nline2</p>");
  CHECK(render_markdown("`a < b`") == "<p><code>a &lt; b</code></p>");
}

TEST_CASE("links open in a new tab with nofollow noopener", "[markdown]") {
  CHECK(render_markdown("https://example.com") ==
        R"(<p><a target="_blank" rel="nofollow noopener" href="https://example.com">https://example.com</a></p>)");
  CHECK(render_markdown("[x](http://a.example/?q=1&r=2)") ==
        R"(<p><a target="_blank" rel="nofollow noopener" href="http://a.example/?q=1&amp;r=2">x</a></p>)");
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
    // The target is emptied; the text of an autolink may still read "javascript:...", as text.
    CHECK((html.find("href=\"\"") != std::string::npos || html.find("src=\"\"") != std::string::npos));
    CHECK(html.find("=\"data:") == std::string::npos);
    CHECK(html.find("=\"file:") == std::string::npos);
    CHECK(html.find("=\"//evil") == std::string::npos);
    CHECK(html.find("=\"javascript:") == std::string::npos);
  }
}
