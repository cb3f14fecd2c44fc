#pragma once
/// DM history off the chat's threads: one thread owns the database (storage/dm_history_db.*),
/// takes the queued work in batches and writes each batch in one transaction, and purges messages
/// older than RetentionDays at start-up and then periodically. Bounded: what is over the queue
/// limit is dropped and logged. A database error is logged (and a query answered with it); the
/// chat never waits for the disk.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>

#include "storage/dm_history_db.hpp"

namespace barertc::storage {

/// A query's answer, or the error to show.
template <class T>
using result = std::variant<T, std::string>;

class dm_history {
 public:
  struct options {
    std::string path;                    ///< `[DirectMessageHistory] SQLiteDatabase`
    int retention_days = 0;              ///< 0 keeps messages forever
    size_t queue_limit = 0;              ///< jobs waiting, at most
    size_t batch_limit = 0;              ///< jobs per transaction, at most
    std::chrono::seconds purge_interval{3600};
  };

  /// Opens the database and purges it at once; a failure is logged, and the server runs on
  /// without history (writes are dropped, queries answer the error). Then starts the thread.
  explicit dm_history(options o);
  /// Finishes the queued work, then stops the thread.
  ~dm_history();
  dm_history(const dm_history&) = delete;
  dm_history& operator=(const dm_history&) = delete;

  /// Whether the database opened.
  bool available() const { return db_ != nullptr; }
  /// The highest msgID stored when the server started (new msgIDs must be higher).
  int64_t max_msg_id() const { return max_msg_id_; }
  /// A new RetentionDays (after a settings reload); the next purge uses it.
  void set_retention(int days);

  /// Queues a delivered DM for writing.
  void store(stored_dm m);
  /// Queues the deletion of a message (takeback).
  void erase(int64_t msg_id);

  // Queries: `done` runs on the history thread (or at once when the queue is full).
  void sender_of(int64_t msg_id, std::function<void(result<std::optional<std::string>>)> done);
  void page(std::string a, std::string b, int64_t before_id, int size, std::function<void(result<dm_page>)> done);
  void partners(std::string user, partner_order order, int64_t page, int per_page,
                std::function<void(result<partners_page>)> done);
  void clear(std::string user, std::function<void(result<int64_t>)> done);

 private:
  using job = std::function<void(dm_history_db*)>;
  template <class T>
  void query(std::function<T(dm_history_db&)> q, std::function<void(result<T>)> done);
  void write(std::function<void(dm_history_db&)> w);
  bool push(job j);
  void work();
  void purge();
  void run(std::deque<job>& batch);

  options opt_;
  std::unique_ptr<dm_history_db> db_;
  std::string open_error_;
  int64_t max_msg_id_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> queue_;
  bool stopping_ = false;
  bool dropping_ = false;  ///< Logged once per run of drops.
  int retention_days_;
  std::thread thread_;
};

}  // namespace barertc::storage
