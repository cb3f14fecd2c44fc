#include "protocol/markdown.hpp"

#include "protocol/html_sanitizer.hpp"
#include "settings/defaults.hpp"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace barertc::protocol {
namespace {

// Raw HTML passes cmark (CMARK_OPT_UNSAFE) and the whole result then goes through the sanitiser:
// the allowlist, not cmark's safe mode, decides what reaches another browser.
constexpr int options = CMARK_OPT_UNSAFE | CMARK_OPT_HARDBREAKS | CMARK_OPT_VALIDATE_UTF8;

void register_extensions() {
  static std::once_flag once;
  std::call_once(once, [] { cmark_gfm_core_extensions_ensure_registered(); });
}

}  // namespace

std::string render_markdown(std::string_view text) {
  register_extensions();
  std::unique_ptr<cmark_parser, decltype(&cmark_parser_free)> parser(cmark_parser_new(options),
                                                                      &cmark_parser_free);
  for (const char* name : {"autolink", "strikethrough", "table"})
    if (auto* ext = cmark_find_syntax_extension(name))
      cmark_parser_attach_syntax_extension(parser.get(), ext);
  cmark_parser_feed(parser.get(), text.data(), text.size());
  std::unique_ptr<cmark_node, decltype(&cmark_node_free)> doc(cmark_parser_finish(parser.get()),
                                                              &cmark_node_free);
  char* raw = cmark_render_html(doc.get(), options, cmark_parser_get_syntax_extensions(parser.get()));
  std::string html(raw ? raw : "");
  cmark_get_default_mem_allocator()->free(raw);
  html = sanitize_html(html, barertc::defaults::max_html_depth);
  while (!html.empty() && html.back() == '\n') html.pop_back();
  return html;
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace barertc::protocol
