// Cluster packets as netstrings: "<length>:<bytes>," for the kind, the node and each field.
#include "protocol/cluster_wire.hpp"

#include <charconv>

namespace barertc::protocol {
namespace {

void put(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
  out += ',';
}

/// Reads one netstring from the front of `in`; false when it is not one.
bool take(std::string_view& in, std::string& out) {
  auto colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 10) return false;
  size_t len = 0;
  auto [end, ec] = std::from_chars(in.data(), in.data() + colon, len);
  if (ec != std::errc() || end != in.data() + colon) return false;
  if (in.size() < colon + 1 + len + 1 || in[colon + 1 + len] != ',') return false;
  out.assign(in.substr(colon + 1, len));
  in.remove_prefix(colon + 1 + len + 1);
  return true;
}

}  // namespace

std::string encode_packet(const cluster_packet& p) {
  size_t size = p.kind.size() + p.node.size() + 24;
  for (auto& f : p.fields) size += f.size() + 12;
  std::string out;
  out.reserve(size);
  put(out, p.kind);
  put(out, p.node);
  for (auto& f : p.fields) put(out, f);
  return out;
}

std::optional<cluster_packet> decode_packet(std::string_view bytes) {
  cluster_packet p;
  if (!take(bytes, p.kind) || p.kind.empty() || !take(bytes, p.node) || p.node.empty()) return std::nullopt;
  while (!bytes.empty()) {
    if (p.fields.size() >= 1000000) return std::nullopt;
    if (!take(bytes, p.fields.emplace_back())) return std::nullopt;
  }
  return p;
}

}  // namespace barertc::protocol
