#include "protocol/metrics.hpp"

#include <algorithm>
#include <cstdio>

#ifndef BARERTC_VERSION
#define BARERTC_VERSION "unknown"
#endif
#ifndef BARERTC_COMMIT
#define BARERTC_COMMIT "unknown"
#endif

namespace barertc::protocol {
namespace {

std::string compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

/// A number as Prometheus reads it: integers without a fraction, others with enough digits.
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

}  // namespace

void histogram::observe(std::chrono::nanoseconds d) {
  double s = std::chrono::duration<double>(d).count();
  size_t i = 0;
  while (i < bounds.size() && s > bounds[i]) ++i;
  buckets[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns.fetch_add(static_cast<uint64_t>(std::max<int64_t>(0, d.count())), std::memory_order_relaxed);
}

std::string build_version() {
  return std::string(BARERTC_VERSION) + " (commit " + BARERTC_COMMIT + ", " + compiler() + ")";
}

counters& metrics() {
  static counters c;
  return c;
}

std::string prometheus_text(const counters& c, const chat_gauges& g, const process_stats& p) {
  std::string out;
  auto put = [&](const char* name, const char* type, const char* help, auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
  };
  auto r = [](const auto& a) { return a.load(std::memory_order_relaxed); };
  put("barertc_connections_total", "counter", "WebSocket connections accepted.", r(c.connections_total));
  put("barertc_connections_open", "gauge", "WebSocket connections open now.", r(c.connections_open));
  put("barertc_poll_sessions_total", "counter", "Polling sessions started (POST /poll).", r(c.poll_sessions_total));
  put("barertc_poll_sessions_open", "gauge", "Polling sessions open now.", r(c.poll_sessions_open));
  put("barertc_poll_requests_total", "counter", "POST /poll requests.", r(c.poll_requests));
  put("barertc_poll_sessions_timed_out_total", "counter", "Polling sessions removed for not polling in time.",
      r(c.poll_sessions_timed_out));
  put("barertc_users_logged_in", "gauge", "Users logged in now.", g.users);
  put("barertc_messages_in_total", "counter", "Text frames received from clients.", r(c.messages_in));
  put("barertc_chat_messages_total", "counter", "Public messages and DMs posted.", r(c.chat_messages));
  put("barertc_frames_sent_total", "counter", "Frames sent to clients.", r(c.frames_sent));
  put("barertc_bytes_sent_total", "counter", "Frame payload bytes sent to clients (compressed ones as sent).", r(c.bytes_sent));
  put("barertc_frames_deflated_total", "counter", "Messages compressed for permessage-deflate, once each.",
      r(c.frames_deflated));
  put("barertc_socket_writes_total", "counter", "Socket writes (several frames may share one).", r(c.writes));
  put("barertc_slow_clients_dropped_total", "counter", "Connections closed because their send queue was full.",
      r(c.slow_clients_dropped));
  put("barertc_frames_superseded_total", "counter", "Queued who lists replaced by a newer list before sending.",
      r(c.frames_superseded));
  put("barertc_send_queue_high_water", "gauge", "Most frames ever queued for one connection.", r(c.queue_high_water));
  put("barertc_who_lists_built_total", "counter", "Who lists serialised (each shared by all recipients).",
      r(c.who_lists_built));
  put("barertc_presence_batches_total", "counter",
      "Batches of presence lines gathered in a join storm (one hand-over and one wire form per batch).",
      r(c.presence_batches));
  put("barertc_directory_mailbox_backlog", "gauge", "Messages waiting in the directory actor's mailbox.",
      g.directory_backlog);
  put("barertc_channel_mailbox_backlog", "gauge", "Messages waiting in the public channel actors' mailboxes, summed.",
      g.channel_backlog);
  put("barertc_channel_mailbox_backlog_max", "gauge", "Messages waiting in the busiest public channel's mailbox.",
      g.channel_backlog_max);
  // The histogram: cumulative buckets, +Inf and _count from the same snapshot so they agree.
  {
    const auto& h = c.delivery_queue;
    const char* name = "barertc_delivery_queue_seconds";
    out += std::string("# HELP ") + name +
           " Time from a chat actor handing frames to an I/O thread until it takes them up to write.\n# TYPE " +
           name + " histogram\n";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h.buckets.size(); ++i) {
      cumulative += r(h.buckets[i]);
      out += std::string(name) + "_bucket{le=\"" + (i < h.bounds.size() ? number(h.bounds[i]) : "+Inf") + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += std::string(name) + "_sum " + number(static_cast<double>(r(h.sum_ns)) / 1e9) + "\n";
    out += std::string(name) + "_count " + std::to_string(cumulative) + "\n";
  }
  // Build: the value is always 1; the labels say what runs.
  std::string label_commit = BARERTC_COMMIT, label_version = BARERTC_VERSION, label_compiler = compiler();
  for (auto* v : {&label_commit, &label_version, &label_compiler})
    for (auto& ch : *v)
      if (ch == '"' || ch == '\\' || ch == '\n') ch = ' ';
  out += "# HELP barertc_build_info The running build (always 1).\n# TYPE barertc_build_info gauge\n"
         "barertc_build_info{version=\"" + label_version + "\",commit=\"" + label_commit + "\",compiler=\"" +
         label_compiler + "\"} 1\n";
  // The process, under the names every Prometheus client library uses.
  auto proc = [&](const char* name, const char* type, const char* help, double v) {
    if (v >= 0) out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name +
                       " " + number(v) + "\n";
  };
  proc("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", p.cpu_seconds);
  proc("process_open_fds", "gauge", "Number of open file descriptors.", static_cast<double>(p.open_fds));
  proc("process_max_fds", "gauge", "Maximum number of open file descriptors.", static_cast<double>(p.max_fds));
  proc("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
       static_cast<double>(p.resident_bytes));
  proc("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", static_cast<double>(p.virtual_bytes));
  proc("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
       p.start_time_seconds);
  return out;
}

}  // namespace barertc::protocol
