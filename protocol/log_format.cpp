#include "protocol/log_format.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <ctime>

namespace barertc::protocol {
namespace {

class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    auto level = spdlog::level::to_string_view(msg.level);
    auto line = json_log_line(ms, std::string_view(level.data(), level.size()),
                              std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<json_formatter>(); }
};

}  // namespace

std::string json_log_line(int64_t time_ms, std::string_view level, std::string_view msg) {
  std::time_t secs = static_cast<std::time_t>(time_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[80];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(time_ms % 1000));
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("time");
  w.String(stamp);
  w.Key("level");
  w.String(level.data(), static_cast<rapidjson::SizeType>(level.size()));
  w.Key("msg");
  w.String(msg.data(), static_cast<rapidjson::SizeType>(msg.size()));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

void set_log_format(const std::string& format) {
  if (format == "json") spdlog::set_formatter(std::make_unique<json_formatter>());
}

}  // namespace barertc::protocol
