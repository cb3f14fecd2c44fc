#pragma once
/// Process-wide counters for GET /metrics. Relaxed atomics: observability, not chat state.
#include <atomic>
#include <cstdint>
#include <string>

namespace barertc::protocol {

/// What /metrics reports; each field is bumped where the event happens.
struct counters {
  std::atomic<uint64_t> connections_total{0};  ///< WebSockets accepted
  std::atomic<int64_t> connections_open{0};
  std::atomic<uint64_t> messages_in{0};        ///< text frames received
  std::atomic<uint64_t> chat_messages{0};      ///< public messages and DMs posted
  std::atomic<uint64_t> frames_sent{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> writes{0};              ///< socket writes (a write may carry several frames)
  std::atomic<uint64_t> slow_clients_dropped{0};
  std::atomic<uint64_t> frames_superseded{0};   ///< queued who lists replaced by newer ones
  std::atomic<uint64_t> queue_high_water{0};    ///< most frames ever queued for one connection
  std::atomic<uint64_t> who_lists_built{0};
};

/// What /metrics asks of the chat actors at the time of the request.
struct chat_gauges {
  int64_t users = -1;              ///< logged-in users; -1 when the chat did not answer
  int64_t directory_backlog = 0;   ///< messages waiting in the directory's mailbox
  int64_t channel_backlog = 0;     ///< messages waiting in all public channels' mailboxes
  int64_t channel_backlog_max = 0; ///< the longest of those mailboxes
};

/// The process's counters.
counters& metrics();

/// Raises an atomic maximum.
inline void raise_max(std::atomic<uint64_t>& m, uint64_t v) {
  auto cur = m.load(std::memory_order_relaxed);
  while (v > cur && !m.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

/// Prometheus text exposition of the counters and the chat's gauges.
std::string prometheus_text(const counters& c, const chat_gauges& g);

}  // namespace barertc::protocol
