/// Fuzzes the settings parser with arbitrary TOML text. Every problem must come back as an
/// `errors` value naming the file (an escaping exception aborts the fuzzer), and settings that
/// parse must survive to_toml() and parse again to the same file (the server writes settings.toml).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "settings/settings.hpp"

using namespace barertc::settings;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse(text, "fuzz.toml");
  if (auto* errs = std::get_if<errors>(&parsed)) {
    if (errs->problems.empty()) std::abort();
    for (auto& p : errs->problems)
      if (p.rfind("fuzz.toml", 0) != 0) {
        std::fprintf(stderr, "problem does not name the file: %s\n", p.c_str());
        std::abort();
      }
    return 0;
  }
  const std::string written = to_toml(std::get<settings>(parsed));
  auto again = parse(written, "written.toml");
  if (auto* errs = std::get_if<errors>(&again)) {
    std::fprintf(stderr, "to_toml() wrote a file that does not load: %s\n---\n%s\n",
                 errs->problems.front().c_str(), written.c_str());
    std::abort();
  }
  if (to_toml(std::get<settings>(again)) != written) {
    std::fprintf(stderr, "to_toml() is not stable:\n%s\n", written.c_str());
    std::abort();
  }
  return 0;
}
