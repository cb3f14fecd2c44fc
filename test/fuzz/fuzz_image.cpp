/// Fuzzes the image pipeline (protocol/image.hpp): the first byte picks the type (mod 3: JPEG, PNG,
/// GIF), the rest is the file. Checks what process() promises: no crash, leak or sanitizer finding;
/// a processed JPEG/PNG fits max_width; every result has bytes and a preview of 1..preview_width.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "protocol/image.hpp"

using namespace barertc::protocol::image;

namespace {

[[noreturn]] void fail(const char* why) {
  std::fprintf(stderr, "BROKEN PROPERTY: %s\n", why);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const type t = static_cast<type>(data[0] % 3);
  std::string_view file(reinterpret_cast<const char*>(data + 1), size - 1);
  limits lim;
  lim.max_width = 256;
  lim.preview_width = 64;
  lim.max_pixels = 4'000'000;
  auto r = process(t, file, lim);
  if (auto* no = std::get_if<refusal>(&r)) {
    if (no->reason.empty()) fail("empty refusal");
    return 0;
  }
  const auto& p = std::get<processed>(r);
  if (p.t != t) fail("type changed");
  if (p.bytes.empty()) fail("no bytes");
  if (p.width < 1 || p.height < 1) fail("no pixels");
  if (t != type::gif && (p.width > lim.max_width || p.height > lim.max_width)) fail("over max_width");
  if (t == type::gif && p.bytes != file) fail("GIF not passed through");
  if (p.preview_width < 1 || p.preview_height < 1 || p.preview_width > lim.preview_width ||
      p.preview_height > lim.preview_width)
    fail("preview size");
  if (p.preview_width > p.width || p.preview_height > p.height) fail("preview larger than image");
  auto h = html(p);
  if (h.rfind("<img src=\"data:image/", 0) != 0) fail("html shape");
  return 0;
}
