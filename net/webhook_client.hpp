#pragma once
/// Calls the website's webhooks (server.md E) with libcurl on threads of its own, so a slow or
/// dead website never holds a chat actor or an I/O thread. Bounded: `in_flight` calls at once,
/// `queue` waiting; what is over that is dropped and logged.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "protocol/webhook.hpp"

namespace barertc::net {

class webhook_client {
 public:
  webhook_client(int in_flight, int queue, int timeout_seconds);
  ~webhook_client();  ///< Aborts calls in progress and drops the waiting ones (each told why).
  webhook_client(const webhook_client&) = delete;
  webhook_client& operator=(const webhook_client&) = delete;

  /// POSTs `body` (JSON) to `url`; `done` runs on a client thread, or at once when dropped.
  void post(std::string url, std::string body, std::function<void(protocol::webhook_result)> done);

 private:
  struct call {
    std::string url, body;
    std::function<void(protocol::webhook_result)> done;
  };
  void work();
  protocol::webhook_result perform(const call& c);

  size_t queue_limit_;
  long timeout_seconds_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<call> waiting_;
  bool stopping_ = false;
  std::atomic<bool> abort_calls_{false};  ///< Read by libcurl's progress callback: stop at once.
  std::vector<std::thread> threads_;
};

}  // namespace barertc::net
