#include "protocol/markdown.hpp"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace barertc::protocol {
namespace {

constexpr int options = CMARK_OPT_SAFE | CMARK_OPT_HARDBREAKS | CMARK_OPT_VALIDATE_UTF8;

void register_extensions() {
  static std::once_flag once;
  std::call_once(once, [] { cmark_gfm_core_extensions_ensure_registered(); });
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

/// Link and image targets allowed through: relative, http(s) and mailto. Anything else (javascript:,
/// vbscript:, data:, file:, ...) becomes an empty target. cmark's safe mode already blanks the
/// worst; this is an allowlist on top, so a scheme cmark lets through (data:image/png) cannot pass.
bool allowed_url(std::string_view url) {
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7F || c == '\\') return false;
  auto end = url.find_first_of(":/?#");
  if (end == std::string_view::npos || url[end] != ':') return url.substr(0, 2) != "//";  // relative
  std::string scheme(url.substr(0, end));
  for (auto& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return scheme == "http" || scheme == "https" || scheme == "mailto";
}

void filter_urls(cmark_node* doc) {
  std::unique_ptr<cmark_iter, decltype(&cmark_iter_free)> it(cmark_iter_new(doc), &cmark_iter_free);
  for (auto ev = cmark_iter_next(it.get()); ev != CMARK_EVENT_DONE; ev = cmark_iter_next(it.get())) {
    if (ev != CMARK_EVENT_ENTER) continue;
    auto* node = cmark_iter_get_node(it.get());
    auto type = cmark_node_get_type(node);
    if (type != CMARK_NODE_LINK && type != CMARK_NODE_IMAGE) continue;
    const char* url = cmark_node_get_url(node);
    if (url && !allowed_url(url)) cmark_node_set_url(node, "");
  }
}

}  // namespace

std::string render_markdown(std::string_view text) {
  register_extensions();
  std::unique_ptr<cmark_parser, decltype(&cmark_parser_free)> parser(cmark_parser_new(options),
                                                                      &cmark_parser_free);
  for (const char* name : {"autolink", "strikethrough", "tagfilter"})
    if (auto* ext = cmark_find_syntax_extension(name))
      cmark_parser_attach_syntax_extension(parser.get(), ext);
  cmark_parser_feed(parser.get(), text.data(), text.size());
  std::unique_ptr<cmark_node, decltype(&cmark_node_free)> doc(cmark_parser_finish(parser.get()),
                                                              &cmark_node_free);
  filter_urls(doc.get());
  char* raw = cmark_render_html(doc.get(), options, cmark_parser_get_syntax_extensions(parser.get()));
  std::string html(raw ? raw : "");
  cmark_get_default_mem_allocator()->free(raw);
  // In safe mode every tag in the output was written by cmark itself, and user text inside it is
  // escaped, so this pattern can only match real anchors.
  replace_all(html, "<a href=\"", "<a target=\"_blank\" rel=\"nofollow noopener\" href=\"");
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
