// permessage-deflate with zlib (net/deflate.hpp).
#include "net/deflate.hpp"

#include <zlib.h>

#include <cctype>
#include <memory>
#include <vector>

namespace barertc::net {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto i = s.find(sep);
    out.push_back(trim(s.substr(0, i)));
    if (i == std::string_view::npos) return out;
    s.remove_prefix(i + 1);
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

/// A window-bits value ("8" to "15"), or -1.
int bits(std::string_view v) {
  if (v.empty() || v.size() > 2) return -1;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

/// Whether one offer ("permessage-deflate; param; param=value") is one we can take.
bool acceptable(std::string_view offer) {
  auto params = split(offer, ';');
  if (!iequals(params[0], "permessage-deflate")) return false;
  for (size_t i = 1; i < params.size(); ++i) {
    auto eq = params[i].find('=');
    auto name = trim(params[i].substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? std::string_view() : trim(params[i].substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (iequals(name, "server_no_context_takeover") || iequals(name, "client_no_context_takeover")) {
      if (eq != std::string_view::npos) return false;
    } else if (iequals(name, "client_max_window_bits")) {
      // The client's own window: ours to limit or not; we ask for no context takeover instead.
      if (!value.empty() && (bits(value) < 8 || bits(value) > 15)) return false;
    } else if (iequals(name, "server_max_window_bits")) {
      if (bits(value) != 15) return false;  // one compressed copy for everyone: always a 15-bit window
    } else {
      return false;
    }
  }
  return true;
}

struct deflater {
  z_stream z{};
  int level = -1;
  ~deflater() {
    if (level >= 0) deflateEnd(&z);
  }
};

struct inflater {
  z_stream z{};
  bool ready = false;
  ~inflater() {
    if (ready) inflateEnd(&z);
  }
};

}  // namespace

std::string negotiate_deflate(std::string_view offers) {
  if (offers.empty()) return {};
  for (auto offer : split(offers, ','))
    if (acceptable(offer)) return "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
  return {};
}

std::string deflate_message(std::string_view payload, int level) {
  thread_local deflater d;
  if (d.level != level) {
    if (d.level >= 0) deflateEnd(&d.z);
    d.z = z_stream{};
    if (deflateInit2(&d.z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      d.level = -1;
      return {};
    }
    d.level = level;
  } else {
    deflateReset(&d.z);
  }
  std::string out;
  out.resize(deflateBound(&d.z, payload.size()) + 16);
  d.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  d.z.avail_in = static_cast<uInt>(payload.size());
  d.z.next_out = reinterpret_cast<Bytef*>(out.data());
  d.z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&d.z, Z_SYNC_FLUSH) != Z_OK || d.z.avail_in != 0) return {};
  out.resize(out.size() - d.z.avail_out);
  if (out.size() >= 4 && out.compare(out.size() - 4, 4, std::string_view("\0\0\xff\xff", 4)) == 0)
    out.resize(out.size() - 4);
  return out;
}

inflate_status inflate_message(std::string_view compressed, size_t max_bytes, std::string& out) {
  thread_local inflater f;
  if (!f.ready) {
    if (inflateInit2(&f.z, -15) != Z_OK) return inflate_status::corrupt;
    f.ready = true;
  } else {
    inflateReset(&f.z);
  }
  out.clear();
  static const char tail[4] = {0, 0, '\xff', '\xff'};  // RFC 7692 7.2.2: put back what the sender took off
  char chunk[16384];
  for (int part = 0; part < 2; ++part) {
    std::string_view in = part == 0 ? compressed : std::string_view(tail, 4);
    f.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    f.z.avail_in = static_cast<uInt>(in.size());
    do {
      f.z.next_out = reinterpret_cast<Bytef*>(chunk);
      f.z.avail_out = sizeof chunk;
      int rc = inflate(&f.z, Z_SYNC_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return inflate_status::corrupt;
      size_t got = sizeof chunk - f.z.avail_out;
      if (out.size() + got > max_bytes) return inflate_status::too_big;
      out.append(chunk, got);
      if (rc == Z_STREAM_END) return inflate_status::ok;  // a final block: whatever follows is ignored
      if (rc == Z_BUF_ERROR && got == 0) break;
    } while (f.z.avail_in > 0 || f.z.avail_out == 0);
  }
  return inflate_status::ok;
}

}  // namespace barertc::net
