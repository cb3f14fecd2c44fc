// Reports to the website's report webhook (server.md E) and what the reporting user is told.
#include "actors/reports.hpp"

#include <spdlog/spdlog.h>

#include "protocol/codec.hpp"
#include "protocol/markdown.hpp"
#include "protocol/names.hpp"
#include "protocol/plain_text.hpp"
#include "settings/defaults.hpp"

namespace barertc::actors {

bool report_webhook_on(const context& ctx) {
  return ctx.webhooks && *ctx.webhooks && !ctx.cfg.webhook_url("report").empty();
}

void send_report(const context& ctx, const protocol::report& r, std::function<void(std::string)> tell) {
  if (!report_webhook_on(ctx)) {
    if (tell) tell("Your report could not be sent: the report webhook is not enabled on this server.");
    return;
  }
  (*ctx.webhooks)(ctx.cfg.webhook_url("report"), protocol::report_body(ctx.cfg.admin_api_key, r),
                  [tell = std::move(tell)](protocol::webhook_result res) {
                    if (!tell) return;
                    if (res.ok) return tell("Your report has been delivered successfully.");
                    tell("Error sending the report: " + protocol::escape_html(res.error));
                  });
}

std::function<void(std::string)> tell_by_notice(protocol::connection_ptr conn) {
  return [conn = std::move(conn)](std::string html) {
    conn->send(protocol::encode_frame(protocol::chat_server(std::move(html))));
  };
}

protocol::report filter_report_of(const std::string& from, const std::string& where, const protocol::message& msg) {
  protocol::report r;
  r.from_username = from;
  r.about_username = from;
  r.channel = where.rfind('#', 0) == 0 ? where.substr(1) : where;
  r.timestamp = protocol::rfc3339(unix_now());
  r.reason = "Server Side Message Filter";
  r.message = std::string(protocol::trim(protocol::plain_text(msg.message)));
  return r;
}

void filter_report(const context& ctx, const std::string& from, const std::string& where,
                   const protocol::message& msg) {
  if (!report_webhook_on(ctx)) {
    spdlog::warn("message filter report: '{}' in {} (msgID {}): {}", from, where, msg.msg_id, msg.message);
    return;
  }
  send_report(ctx, filter_report_of(from, where, msg), {});
}

std::string context_comment(const std::vector<std::string>& lines) {
  std::string out = "Recent messages in this conversation:\n";
  for (auto& l : lines) out += l + "\n";
  return out;
}

std::string context_line(const protocol::message& msg) {
  return "[" + msg.username + "] " + std::string(protocol::trim(protocol::plain_text(msg.message)));
}

void add_context(protocol::report& r, const std::deque<std::string>& lines) {
  if (!r.comment.empty()) r.comment += "\n\n";
  r.comment += context_comment({lines.begin(), lines.end()});
}

void keep_context_line(std::deque<std::string>& lines, std::string line) {
  lines.push_back(std::move(line));
  while (lines.size() > static_cast<size_t>(barertc::defaults::report_context_lines)) lines.pop_front();
}

}  // namespace barertc::actors
