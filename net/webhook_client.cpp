// The webhook client: a fixed pool of threads, each running one blocking libcurl call at a time.
#include "net/webhook_client.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include "settings/defaults.hpp"

namespace barertc::net {
namespace {

struct reply_buffer {
  std::string data;
  bool too_big = false;
};

size_t collect(char* ptr, size_t size, size_t n, void* user) {
  auto* r = static_cast<reply_buffer*>(user);
  if (r->data.size() + size * n > static_cast<size_t>(barertc::defaults::webhook_reply_bytes)) {
    r->too_big = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  r->data.append(ptr, size * n);
  return size * n;
}

int abort_when_stopping(void* stopping, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(stopping)->load() ? 1 : 0;
}

}  // namespace

webhook_client::webhook_client(int in_flight, int queue, int timeout_seconds)
    : queue_limit_(static_cast<size_t>(std::max(queue, 0))), timeout_seconds_(timeout_seconds) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (int i = 0; i < std::max(in_flight, 1); ++i) threads_.emplace_back([this] { work(); });
}

webhook_client::~webhook_client() {
  std::deque<call> dropped;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    dropped.swap(waiting_);
  }
  abort_calls_ = true;
  cv_.notify_all();
  for (auto& c : dropped) c.done({false, {}, "the chat server is shutting down"});
  for (auto& t : threads_) t.join();
}

void webhook_client::post(std::string url, std::string body, std::function<void(protocol::webhook_result)> done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && waiting_.size() < queue_limit_) {
      waiting_.push_back({std::move(url), std::move(body), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  spdlog::warn("webhook call to {} dropped: {} calls are already waiting", url, queue_limit_);
  done({false, {}, "too many webhook calls are waiting; please try again later"});
}

void webhook_client::work() {
  for (;;) {
    call c;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
      if (stopping_) return;
      c = std::move(waiting_.front());
      waiting_.pop_front();
    }
    auto result = perform(c);
    if (!result.ok) spdlog::warn("webhook call to {} failed: {}", c.url, result.error);
    c.done(std::move(result));
  }
}

protocol::webhook_result webhook_client::perform(const call& c) {
  CURL* h = curl_easy_init();
  if (!h) return {false, {}, "could not start an HTTP client"};
  reply_buffer reply;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_URL, c.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, c.body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(c.body.size()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_seconds_);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "BareRTC");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_when_stopping);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &abort_calls_);
  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  if (reply.too_big) return {false, {}, "the website's answer is too large"};
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return {false, {}, "the website did not answer within " + std::to_string(timeout_seconds_) + " seconds"};
  if (rc != CURLE_OK) return {false, {}, std::string("could not reach the website: ") + curl_easy_strerror(rc)};
  if (status != 200) return {false, std::move(reply.data), "the website answered with status " + std::to_string(status)};
  return {true, std::move(reply.data), {}};
}

}  // namespace barertc::net
