/// Fuzzes the Markdown renderer and its sanitiser and checks what they promise
/// (protocol/markdown.hpp, protocol/html_sanitizer.hpp): the HTML returned can go into another
/// user's page. Every tag in the output is examined: only elements and attributes of the one
/// allowlist, no <script> (or other script-capable element), no on...= event attribute, and no
/// href/src whose scheme a browser
/// would run (javascript:, vbscript:, data: other than images), after undoing HTML entities and the
/// tab/newline stripping browsers apply to URLs. escape_html must leave no markup at all.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "protocol/html_sanitizer.hpp"
#include "protocol/markdown.hpp"

using namespace barertc::protocol;

namespace {

[[noreturn]] void fail(const char* why, std::string_view input, const std::string& html) {
  std::fprintf(stderr, "UNSAFE OUTPUT (%s)\ninput: %.*s\noutput: %s\n", why, static_cast<int>(input.size()),
               input.data(), html.c_str());
  std::abort();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Undoes the character references a browser would decode in an attribute value (numeric ones and
/// the few named ones cmark writes); good enough to see a scheme through them.
std::string decode_entities(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '&') {
      out += v[i];
      continue;
    }
    auto semi = v.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      out += v[i];
      continue;
    }
    auto ent = lower(v.substr(i + 1, semi - i - 1));
    long code = -1;
    if (ent.size() > 1 && ent[0] == '#') {
      code = ent[1] == 'x' ? std::strtol(ent.c_str() + 2, nullptr, 16) : std::strtol(ent.c_str() + 1, nullptr, 10);
    } else {
      static const std::map<std::string, char> named{{"amp", '&'},   {"lt", '<'},    {"gt", '>'},
                                                     {"quot", '"'},  {"colon", ':'}, {"tab", '\t'},
                                                     {"newline", '\n'}};
      if (auto it = named.find(ent); it != named.end()) code = it->second;
    }
    if (code < 0 || code > 127) {
      out += v[i];
      continue;
    }
    out += static_cast<char>(code);
    i = semi;
  }
  return out;
}

/// The URL's scheme as a browser would see it: entities decoded, tab/CR/LF removed, leading
/// spaces and control characters trimmed, lower-cased, and percent-escapes left alone (browsers do
/// not decode them before picking the scheme).
std::string effective_url(std::string_view raw) {
  std::string url;
  for (char c : decode_entities(raw))
    if (c != '\t' && c != '\n' && c != '\r') url += c;
  size_t start = 0;
  while (start < url.size() && static_cast<unsigned char>(url[start]) <= 0x20) ++start;
  return lower(std::string_view(url).substr(start));
}

bool dangerous_url(const std::string& url) {
  if (url.rfind("javascript:", 0) == 0 || url.rfind("vbscript:", 0) == 0 || url.rfind("file:", 0) == 0)
    return true;
  if (url.rfind("data:", 0) == 0) {
    for (const char* ok : {"data:image/png", "data:image/gif", "data:image/jpeg", "data:image/webp"})
      if (url.rfind(ok, 0) == 0) return false;
    return true;
  }
  return false;
}

/// Checks one tag's text (between '<' and '>').
void check_tag(std::string_view tag, std::string_view input, const std::string& html) {
  size_t i = 0;
  if (i < tag.size() && tag[i] == '/') ++i;
  size_t name_start = i;
  while (i < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[i])) || tag[i] == '-')) ++i;
  auto name = lower(tag.substr(name_start, i - name_start));
  for (const char* bad : {"script", "iframe", "object", "embed", "style", "svg", "math", "form", "base",
                          "meta", "link", "frame", "frameset", "textarea", "title", "xmp", "noembed",
                          "noframes", "plaintext", "input", "button", "select"})
    if (name == bad) fail("script-capable element", input, html);
  // The sanitiser's promise: nothing outside its one allowlist (protocol/html_sanitizer.hpp).
  bool closing = !tag.empty() && tag[0] == '/';
  if (!allowed_element(name)) fail("element outside the allowlist", input, html);
  // Attributes: name, optional = "value" | 'value' | bare value.
  while (i < tag.size()) {
    while (i < tag.size() && (std::isspace(static_cast<unsigned char>(tag[i])) || tag[i] == '/')) ++i;
    size_t a = i;
    while (i < tag.size() && !std::isspace(static_cast<unsigned char>(tag[i])) && tag[i] != '=' &&
           tag[i] != '/')
      ++i;
    auto attr = lower(tag.substr(a, i - a));
    std::string_view value;
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    if (i < tag.size() && tag[i] == '=') {
      ++i;
      while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
      if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
        char q = tag[i++];
        size_t v = i;
        while (i < tag.size() && tag[i] != q) ++i;
        value = tag.substr(v, i - v);
        if (i < tag.size()) ++i;
      } else {
        size_t v = i;
        while (i < tag.size() && !std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
        value = tag.substr(v, i - v);
      }
    }
    if (attr.empty()) continue;
    if (closing) fail("attribute on a closing tag", input, html);
    bool ours = name == "a" && ((attr == "target" && value == "_blank") || (attr == "rel" && value == "nofollow noopener"));
    if (!ours && !allowed_attribute(name, attr, decode_entities(value)))
      fail("attribute or URL outside the allowlist", input, html);
    if (attr.size() > 2 && attr.rfind("on", 0) == 0) fail("event handler attribute", input, html);
    if (attr == "style" || attr == "srcdoc" || attr == "formaction" || attr == "xlink:href")
      fail("dangerous attribute", input, html);
    if ((attr == "href" || attr == "src" || attr == "action" || attr == "background" || attr == "poster") &&
        dangerous_url(effective_url(value)))
      fail("script-capable URL", input, html);
  }
}

void check_html(const std::string& html, std::string_view input) {
  // The sanitiser escapes '<' in text and attribute values, so every '<' starts a tag it wrote;
  // a '<' inside an attribute value would itself be a hole.
  for (size_t pos = html.find('<'); pos != std::string::npos; pos = html.find('<', pos + 1)) {
    if (pos + 1 < html.size() && html[pos + 1] == '!') fail("comment or doctype", input, html);
    size_t end = pos + 1;
    char quote = 0;
    while (end < html.size() && (quote || html[end] != '>')) {
      if (quote && html[end] == quote)
        quote = 0;
      else if (!quote && (html[end] == '"' || html[end] == '\''))
        quote = html[end];
      else if (html[end] == '<')
        fail("'<' inside a tag", input, html);
      ++end;
    }
    if (end == html.size()) fail("unterminated tag", input, html);
    check_tag(std::string_view(html).substr(pos + 1, end - pos - 1), input, html);
    pos = end;
  }
  if (lower(html).find("<script") != std::string::npos) fail("<script", input, html);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // cmark is linear; longer inputs only slow the search down
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_html(render_markdown(input), input);
  auto escaped = escape_html(input);
  if (escaped.find_first_of("<>\"'") != std::string::npos) fail("escape_html left markup", input, escaped);
  return 0;
}
