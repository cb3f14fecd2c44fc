#pragma once
/// How log lines look: spdlog's plain text (the default) or one JSON object per line, for log
/// collectors that want fields rather than text.
#include <cstdint>
#include <string>
#include <string_view>

namespace barertc::protocol {

/// One JSON log line (with its newline): {"time":"...","level":"...","msg":"..."}. `time_ms` is
/// milliseconds since the epoch, written as UTC RFC 3339.
std::string json_log_line(int64_t time_ms, std::string_view level, std::string_view msg);

/// Switches the default logger to `format`: "text" or "json".
void set_log_format(const std::string& format);

}  // namespace barertc::protocol
