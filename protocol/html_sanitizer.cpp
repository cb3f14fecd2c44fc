// The allowlist of user HTML and the gumbo walk that applies it (html_sanitizer.hpp).
#include "protocol/html_sanitizer.hpp"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <vector>

#include "protocol/markdown.hpp"

namespace barertc::protocol {
namespace {

bool one_of(std::string_view s, std::initializer_list<std::string_view> list) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

/// Elements dropped together with everything inside them.
bool dropped_whole(std::string_view tag) {
  return one_of(tag, {"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript",
                      "noembed", "noframes", "template", "textarea", "select", "option", "title", "svg", "math",
                      "xmp", "plaintext", "head", "input", "button", "audio", "video", "source", "track",
                      "canvas", "link", "meta", "base", "param", "portal", "dialog"});
}

bool void_element(std::string_view tag) { return one_of(tag, {"br", "hr", "img", "col", "wbr"}); }

bool digits(std::string_view v, size_t max_len) {
  return !v.empty() && v.size() <= max_len &&
         std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Links: relative (not protocol-relative), http(s) and mailto; no spaces, controls or backslashes.
bool link_url(std::string_view url) {
  if (url.empty()) return false;
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7F || c == '\\') return false;
  auto end = url.find_first_of(":/?#");
  if (end == std::string_view::npos || url[end] != ':') return url.substr(0, 2) != "//";
  return one_of(lower(url.substr(0, end)), {"http", "https", "mailto"});
}

/// Images: http(s) only. No data: URLs: the server's own previews are built after sanitising
/// (protocol/image.hpp), and a data: image in user text would get around PermitPhotos and the
/// noimage rule. No relative ones either (they would load from the chat server itself).
bool image_url(std::string_view url) {
  auto colon = url.find(':');
  if (!link_url(url) || colon == std::string_view::npos || url.find_first_of("/?#") < colon) return false;
  return one_of(lower(url.substr(0, colon)), {"http", "https"});
}

/// The walk, with a stack of its own instead of recursion: a message of thousands of nested
/// quotes is thousands of levels deep, and a chat thread's stack must not be what limits it.
struct writer {
  std::string out;
  int max_depth;

  struct step {
    const GumboNode* node = nullptr;  ///< to visit; null: write `close`
    int depth = 0;
    std::string close;
  };
  std::vector<step> todo;

  void push_children(const GumboVector& kids, int depth) {
    for (unsigned i = kids.length; i-- > 0;) todo.push_back({static_cast<const GumboNode*>(kids.data[i]), depth, {}});
  }

  void run(const GumboVector& top) {
    push_children(top, 0);
    while (!todo.empty()) {
      step s = std::move(todo.back());
      todo.pop_back();
      if (!s.node) {
        out += s.close;
        continue;
      }
      switch (s.node->type) {
        case GUMBO_NODE_TEXT:
        case GUMBO_NODE_WHITESPACE:
          out += escape_html(s.node->v.text.text ? s.node->v.text.text : "");
          break;
        case GUMBO_NODE_ELEMENT:
        case GUMBO_NODE_TEMPLATE:
          element(s.node, s.depth);
          break;
        default:  // comments, CDATA, the document: nothing of them is written
          break;
      }
    }
  }

  void element(const GumboNode* n, int depth) {
    const GumboElement& e = n->v.element;
    if (e.tag_namespace != GUMBO_NAMESPACE_HTML) return;  // svg and math content: never
    std::string tag;
    if (e.tag == GUMBO_TAG_UNKNOWN) {
      GumboStringPiece name = e.original_tag;
      gumbo_tag_from_original_text(&name);
      tag = lower(std::string_view(name.data, name.length));
    } else {
      tag = gumbo_normalized_tagname(e.tag);
    }
    if (dropped_whole(tag)) return;
    if (!allowed_element(tag) || depth >= max_depth) return push_children(e.children, depth);
    out += '<';
    out += tag;
    for (unsigned i = 0; i < e.attributes.length; ++i) {
      auto* a = static_cast<const GumboAttribute*>(e.attributes.data[i]);
      std::string name = lower(a->name);
      if (tag == "a" && (name == "target" || name == "rel")) continue;  // ours, below
      if (!allowed_attribute(tag, name, a->value)) continue;
      out += ' ';
      out += name;
      out += "=\"";
      out += escape_html(a->value);
      out += '"';
    }
    if (tag == "a") out += R"( target="_blank" rel="nofollow noopener")";
    out += '>';
    if (void_element(tag)) return;
    todo.push_back({nullptr, 0, "</" + tag + ">"});
    push_children(e.children, depth + 1);
  }
};

}  // namespace

/// Elements kept, as in a user-generated-content policy: text formatting, quotes, code, lists,
/// tables, headings, links and images. Nothing that runs script, loads a frame or takes input.
bool allowed_element(std::string_view tag) {
  return one_of(tag, {"a",      "abbr",   "b",     "bdi",     "bdo",   "big",   "blockquote", "br",    "caption",
                      "cite",   "code",   "col",   "colgroup", "dd",   "del",   "dfn",   "dl",
                      "dt",     "em",     "h1",    "h2",      "h3",    "h4",    "h5",         "h6",    "hr",
                      "i",      "img",    "ins",   "kbd",     "li",    "mark",  "ol",         "p",     "pre",
                      "q",      "rp",     "rt",    "ruby",    "s",     "samp",  "small",      "span",  "strike",
                      "strong", "sub",    "sup",   "table", "tbody", "td",         "tfoot", "th",
                      "thead",  "tr",     "tt",    "u",       "ul",    "var",   "wbr"});
}

bool allowed_attribute(std::string_view tag, std::string_view name, std::string_view value) {
  if (name == "title") return true;
  if (tag == "a") return (name == "href" && link_url(value)) || (name == "target" && value == "_blank");
  if (tag == "img") {
    if (name == "src") return image_url(value);
    if (name == "alt") return true;
    return (name == "width" || name == "height") && digits(value, 4);
  }
  if (tag == "td" || tag == "th") {
    if (name == "align") return one_of(value, {"left", "right", "center"});
    return (name == "colspan" || name == "rowspan") && digits(value, 3);
  }
  if (tag == "ol") return name == "start" && digits(value, 6);
  if (tag == "bdo" || tag == "bdi") return name == "dir" && one_of(value, {"ltr", "rtl", "auto"});
  if (tag == "code" && name == "class") {
    // cmark's fenced code language: class="language-xyz"
    if (value.rfind("language-", 0) != 0 || value.size() > 40 || value.size() == 9) return false;
    return std::all_of(value.begin(), value.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '+';
    });
  }
  return false;
}

std::string sanitize_html(std::string_view html, int max_depth) {
  GumboOptions options = kGumboDefaultOptions;
  options.fragment_context = GUMBO_TAG_BODY;
  options.fragment_namespace = GUMBO_NAMESPACE_HTML;
  options.max_errors = 0;  // parse errors are not collected: we only need the tree
  std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> parsed(
      gumbo_parse_with_options(&options, html.data(), html.size()),
      [](GumboOutput* o) { gumbo_destroy_output(&kGumboDefaultOptions, o); });
  writer w{{}, max_depth};
  w.out.reserve(html.size());
  if (parsed && parsed->root && parsed->root->type == GUMBO_NODE_ELEMENT)
    w.run(parsed->root->v.element.children);  // the fragment's nodes sit under <html>
  return std::move(w.out);
}

}  // namespace barertc::protocol
