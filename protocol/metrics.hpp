#pragma once
/// Process-wide counters for GET /metrics. Relaxed atomics: observability, not chat state.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "protocol/process_stats.hpp"

namespace barertc::protocol {

/// A Prometheus histogram of durations with fixed bucket bounds; lock-free, observable from any thread.
struct histogram {
  /// Upper bounds in seconds (0.5 ms to 2.5 s); one more bucket holds everything slower.
  static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  std::array<std::atomic<uint64_t>, bounds.size() + 1> buckets{};  ///< per bucket, not cumulative
  std::atomic<uint64_t> sum_ns{0};
  void observe(std::chrono::nanoseconds d);
};

/// What /metrics reports; each field is bumped where the event happens.
struct counters {
  std::atomic<uint64_t> connections_total{0};  ///< WebSockets accepted
  std::atomic<int64_t> connections_open{0};
  std::atomic<uint64_t> poll_sessions_total{0};  ///< polling sessions started (POST /poll with a login)
  std::atomic<int64_t> poll_sessions_open{0};
  std::atomic<uint64_t> poll_requests{0};        ///< POST /poll requests answered
  std::atomic<uint64_t> poll_sessions_timed_out{0};  ///< polling sessions removed for not polling
  std::atomic<uint64_t> messages_in{0};        ///< text frames received
  std::atomic<uint64_t> chat_messages{0};      ///< public messages and DMs posted
  std::atomic<uint64_t> frames_sent{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> frames_deflated{0};  ///< messages compressed (once each, however many got them)
  std::atomic<uint64_t> writes{0};              ///< socket writes (a write may carry several frames)
  std::atomic<uint64_t> slow_clients_dropped{0};
  std::atomic<uint64_t> frames_superseded{0};   ///< queued who lists replaced by newer ones
  std::atomic<uint64_t> queue_high_water{0};    ///< most frames ever queued for one connection
  std::atomic<uint64_t> who_lists_built{0};
  std::atomic<uint64_t> presence_batches{0};  ///< presence lines gathered and sent as one batch
  /// From a chat actor handing frames to an I/O thread until that thread takes them up to write
  /// (one observation per wake-up): how far the network lags behind the chat.
  histogram delivery_queue;
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

/// "0.1.0 (commit abc123def456, gcc 12.2.0)": for --version and barertc_build_info.
std::string build_version();

/// Prometheus text exposition of the counters, the chat's gauges, the process's resource use and
/// the build.
std::string prometheus_text(const counters& c, const chat_gauges& g, const process_stats& p);

}  // namespace barertc::protocol
