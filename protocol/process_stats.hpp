#pragma once
/// The process's own resource use, read from /proc for the `process_*` metrics.
#include <cstdint>

namespace barertc::protocol {

/// One reading; a field the system would not give stays negative and is left out of /metrics.
struct process_stats {
  int64_t open_fds = -1;             ///< entries in /proc/self/fd
  int64_t max_fds = -1;              ///< the soft RLIMIT_NOFILE
  int64_t resident_bytes = -1;       ///< RSS
  int64_t virtual_bytes = -1;
  double cpu_seconds = -1;           ///< user + system time
  double start_time_seconds = -1;    ///< since the Unix epoch
};

/// Reads the current values (Linux; elsewhere everything stays unknown).
process_stats read_process_stats();

}  // namespace barertc::protocol
