#include "protocol/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace barertc::protocol {
namespace {

/// Seconds since the epoch at which the machine booted (`btime` in /proc/stat).
int64_t boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  int64_t value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

}  // namespace

process_stats read_process_stats() {
  process_stats p;
  std::error_code ec;
  int64_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (!ec) p.open_fds = fds - 1;  // the iterator's own descriptor
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) p.max_fds = static_cast<int64_t>(lim.rlim_cur);

  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return p;
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return p;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  // rest starts at field 3 (state); utime is 14, stime 15, starttime 22, vsize 23, rss 24.
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  long page = sysconf(_SC_PAGESIZE);
  for (int n = 3; n <= 24 && rest >> field; ++n) {
    try {
      if (n == 14) p.cpu_seconds = std::stod(field) / ticks;
      if (n == 15) p.cpu_seconds += std::stod(field) / ticks;
      if (n == 22) {
        auto boot = boot_time();
        if (boot >= 0) p.start_time_seconds = static_cast<double>(boot) + std::stod(field) / ticks;
      }
      if (n == 23) p.virtual_bytes = std::stoll(field);
      if (n == 24) p.resident_bytes = std::stoll(field) * page;
    } catch (...) {
      return p;
    }
  }
  return p;
}

}  // namespace barertc::protocol
