#include "protocol/metrics.hpp"

namespace barertc::protocol {

counters& metrics() {
  static counters c;
  return c;
}

std::string prometheus_text(const counters& c, const chat_gauges& g) {
  std::string out;
  auto put = [&](const char* name, const char* type, const char* help, auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
  };
  auto r = [](const auto& a) { return a.load(std::memory_order_relaxed); };
  put("barertc_connections_total", "counter", "WebSocket connections accepted.", r(c.connections_total));
  put("barertc_connections_open", "gauge", "WebSocket connections open now.", r(c.connections_open));
  put("barertc_users_logged_in", "gauge", "Users logged in now.", g.users);
  put("barertc_messages_in_total", "counter", "Text frames received from clients.", r(c.messages_in));
  put("barertc_chat_messages_total", "counter", "Public messages and DMs posted.", r(c.chat_messages));
  put("barertc_frames_sent_total", "counter", "Frames sent to clients.", r(c.frames_sent));
  put("barertc_bytes_sent_total", "counter", "Frame payload bytes sent to clients.", r(c.bytes_sent));
  put("barertc_socket_writes_total", "counter", "Socket writes (several frames may share one).", r(c.writes));
  put("barertc_slow_clients_dropped_total", "counter", "Connections closed because their send queue was full.",
      r(c.slow_clients_dropped));
  put("barertc_frames_superseded_total", "counter", "Queued who lists replaced by a newer list before sending.",
      r(c.frames_superseded));
  put("barertc_send_queue_high_water", "gauge", "Most frames ever queued for one connection.", r(c.queue_high_water));
  put("barertc_who_lists_built_total", "counter", "Who lists serialised (each shared by all recipients).",
      r(c.who_lists_built));
  put("barertc_directory_mailbox_backlog", "gauge", "Messages waiting in the directory actor's mailbox.",
      g.directory_backlog);
  put("barertc_channel_mailbox_backlog", "gauge", "Messages waiting in the public channel actors' mailboxes, summed.",
      g.channel_backlog);
  put("barertc_channel_mailbox_backlog_max", "gauge", "Messages waiting in the busiest public channel's mailbox.",
      g.channel_backlog_max);
  return out;
}

}  // namespace barertc::protocol
