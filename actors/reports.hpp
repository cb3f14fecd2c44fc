#pragma once
/// Reports to the website's `report` webhook (server.md E): from the Report button, message
/// filters, /nsfw. Internal to actors/.
#include <deque>
#include <functional>
#include <string>

#include "actors/messages.hpp"

namespace barertc::actors {

/// Whether `[[WebhookURLs]]` has an enabled `report` entry (and a client to call it).
bool report_webhook_on(const context& ctx);

/// Posts `r` to the report webhook off the chat's threads. `tell` (may be empty) gets the ChatServer
/// line for the reporting user: delivered, the webhook is not enabled, or the error.
void send_report(const context& ctx, const protocol::report& r, std::function<void(std::string html)> tell);

/// `tell` for a user's connection: the outcome as a ChatServer notice.
std::function<void(std::string)> tell_by_notice(protocol::connection_ptr conn);

/// The report a message filter makes about `msg` (server.md G.6): `where` is `#channel` or `@name`.
protocol::report filter_report_of(const std::string& from, const std::string& where, const protocol::message& msg);

/// An automatic report of a message filter, without context: posted when the report webhook is on,
/// else logged as before.
void filter_report(const context& ctx, const std::string& from, const std::string& where,
                   const protocol::message& msg);

/// The newest DM lines of one thread, for the comment of a report about it.
std::string context_comment(const std::vector<std::string>& lines);

/// One DM as a context line: "[sender] text" (plain text).
std::string context_line(const protocol::message& msg);

/// Adds the context lines (oldest first) to the comment of `r`.
void add_context(protocol::report& r, const std::deque<std::string>& lines);

/// Keeps `line` as the newest of `lines`, at most report_context_lines of them.
void keep_context_line(std::deque<std::string>& lines, std::string line);

}  // namespace barertc::actors
