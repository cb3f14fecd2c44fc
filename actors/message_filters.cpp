#include "actors/message_filters.hpp"

#include <re2/re2.h>

namespace barertc::actors {
namespace {

/// For each byte of `html`: true when it is text a censor may replace (outside tags and
/// character references).
std::vector<bool> text_mask(const std::string& html) {
  std::vector<bool> mask(html.size(), true);
  bool in_tag = false;
  for (size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    if (in_tag) {
      mask[i] = false;
      if (c == '>') in_tag = false;
    } else if (c == '<') {
      mask[i] = false;
      in_tag = true;
    } else if (c == '&') {
      auto end = html.find(';', i);
      if (end != std::string::npos && end - i <= 32) {
        for (size_t k = i; k <= end; ++k) mask[k] = false;
        i = end;
      }
    }
  }
  return mask;
}

bool utf8_lead(unsigned char c) { return (c & 0xC0) != 0x80; }

/// Replaces the text characters in [begin, end) of `html` with asterisks, one per character.
std::string censor_ranges(const std::string& html, const std::vector<std::pair<size_t, size_t>>& ranges) {
  auto mask = text_mask(html);
  std::vector<bool> hit(html.size(), false);
  for (auto [b, e] : ranges)
    for (size_t i = b; i < e && i < html.size(); ++i) hit[i] = mask[i];
  std::string out;
  out.reserve(html.size());
  for (size_t i = 0; i < html.size(); ++i) {
    if (!hit[i]) {
      out.push_back(html[i]);
    } else if (utf8_lead(static_cast<unsigned char>(html[i]))) {
      out.push_back('*');
    }  // continuation bytes of a censored character go with it
  }
  return out;
}

}  // namespace

message_filters::message_filters(const std::vector<settings::message_filter>& filters) {
  RE2::Options opt;
  opt.set_log_errors(false);
  for (auto& f : filters) {
    if (!f.enabled || (!f.public_channels && !f.private_channels)) continue;
    compiled c{f, {}};
    for (auto& p : f.keyword_phrases) {
      auto re = std::make_unique<re2::RE2>(p, opt);
      if (re->ok()) c.phrases.push_back(std::move(re));
    }
    if (!c.phrases.empty()) compiled_.push_back(std::move(c));
  }
}

message_filters::message_filters() = default;
message_filters::~message_filters() = default;
message_filters::message_filters(message_filters&&) noexcept = default;
message_filters& message_filters::operator=(message_filters&&) noexcept = default;

const settings::message_filter* message_filters::apply(std::string& html, bool dm) const {
  for (auto& c : compiled_) {
    if (dm ? !c.cfg.private_channels : !c.cfg.public_channels) continue;
    std::vector<std::pair<size_t, size_t>> ranges;
    for (auto& re : c.phrases) {
      re2::StringPiece input(html), match;
      size_t pos = 0;
      while (pos <= html.size() &&
             re->Match(input, pos, html.size(), RE2::UNANCHORED, &match, 1)) {
        size_t b = static_cast<size_t>(match.data() - html.data());
        size_t e = b + match.size();
        if (e > b) ranges.emplace_back(b, e);
        pos = e > b ? e : e + 1;  // an empty match moves on by one byte
        if (!c.cfg.censor_message) break;  // one match decides; censoring needs them all
      }
    }
    if (ranges.empty()) continue;
    if (c.cfg.censor_message) html = censor_ranges(html, ranges);
    return &c.cfg;
  }
  return nullptr;
}

}  // namespace barertc::actors
