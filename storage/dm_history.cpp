// The DM history thread: batches of queued work, each batch one transaction.
#include "storage/dm_history.hpp"

#include <spdlog/spdlog.h>

namespace barertc::storage {
namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

dm_history::dm_history(options o) : opt_(std::move(o)), retention_days_(opt_.retention_days) {
  try {
    db_ = std::make_unique<dm_history_db>(opt_.path);
    max_msg_id_ = db_->max_msg_id();
    spdlog::info("DM history: stored in {} (RetentionDays {})", opt_.path, opt_.retention_days);
  } catch (const db_error& e) {
    db_.reset();
    open_error_ = e.what();
    spdlog::error("DM history: {}; direct messages will not be stored this run", open_error_);
  }
  purge();  // "the purge runs at start-up" (server.md A.4)
  thread_ = std::thread([this] { work(); });
}

dm_history::~dm_history() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  // The last owner may let go on the history thread itself (a query's callback at shutdown): it
  // cannot wait for itself, and the thread ends by itself once the queue is done.
  if (thread_.joinable() && thread_.get_id() == std::this_thread::get_id()) thread_.detach();
  if (thread_.joinable()) thread_.join();
}

void dm_history::set_retention(int days) {
  std::lock_guard lock(mu_);
  retention_days_ = days;
}

bool dm_history::push(job j) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= opt_.queue_limit) {
      if (!dropping_) spdlog::warn("DM history: {} jobs are waiting for the database; dropping more until it catches up",
                                   queue_.size());
      dropping_ = true;
      return false;
    }
    dropping_ = false;
    queue_.push_back(std::move(j));
  }
  cv_.notify_one();
  return true;
}

void dm_history::write(std::function<void(dm_history_db&)> w) {
  if (!db_) return;
  push([w = std::move(w)](dm_history_db* db) {
    try {
      w(*db);
    } catch (const db_error& e) {
      spdlog::error("DM history: {}", e.what());
    }
  });
}

template <class T>
void dm_history::query(std::function<T(dm_history_db&)> q, std::function<void(result<T>)> done) {
  if (!db_) return done(result<T>(std::in_place_index<1>, "The DM history database is not available: " + open_error_));
  bool queued = push([q = std::move(q), done](dm_history_db* db) {
    result<T> r(std::in_place_index<1>, "");
    try {
      r = q(*db);
    } catch (const db_error& e) {
      spdlog::error("DM history: {}", e.what());
      r = result<T>(std::in_place_index<1>, std::string("The DM history database failed: ") + e.what());
    }
    done(std::move(r));
  });
  if (!queued) done(result<T>(std::in_place_index<1>, "The DM history database is busy; try again shortly"));
}

void dm_history::store(stored_dm m) {
  write([m = std::move(m)](dm_history_db& db) { db.insert(m); });
}

void dm_history::erase(int64_t msg_id) {
  write([msg_id](dm_history_db& db) { db.erase(msg_id); });
}

void dm_history::sender_of(int64_t msg_id, std::function<void(result<std::optional<std::string>>)> done) {
  query<std::optional<std::string>>([msg_id](dm_history_db& db) { return db.sender_of(msg_id); }, std::move(done));
}

void dm_history::page(std::string a, std::string b, int64_t before_id, int size, std::function<void(result<dm_page>)> done) {
  query<dm_page>([a = std::move(a), b = std::move(b), before_id, size](dm_history_db& db) {
    return db.page(a, b, before_id, size);
  }, std::move(done));
}

void dm_history::partners(std::string user, partner_order order, int64_t page, int per_page,
                          std::function<void(result<partners_page>)> done) {
  query<partners_page>([user = std::move(user), order, page, per_page](dm_history_db& db) {
    return db.partners(user, order, page, per_page);
  }, std::move(done));
}

void dm_history::clear(std::string user, std::function<void(result<int64_t>)> done) {
  query<int64_t>([user = std::move(user)](dm_history_db& db) {
    auto n = db.clear(user);
    spdlog::info("DM history: erased {} message(s) of '{}'", n, user);
    return n;
  }, std::move(done));
}

void dm_history::purge() {
  int days;
  {
    std::lock_guard lock(mu_);
    days = retention_days_;
  }
  if (!db_ || days <= 0) return;
  try {
    auto n = db_->purge_before(unix_now() - int64_t{days} * 86400);
    if (n) spdlog::info("DM history: purged {} message(s) older than {} days", n, days);
  } catch (const db_error& e) {
    spdlog::error("DM history: purge failed: {}", e.what());
  }
}

void dm_history::run(std::deque<job>& batch) {
  bool tx = false;
  try {
    db_->begin();
    tx = true;
  } catch (const db_error& e) {
    spdlog::error("DM history: {}", e.what());  // the jobs still run, each on its own
  }
  for (auto& j : batch) j(db_.get());
  if (!tx) return;
  try {
    db_->commit();
  } catch (const db_error& e) {
    spdlog::error("DM history: a batch of {} writes and queries was not saved: {}", batch.size(), e.what());
    db_->rollback();
  }
}

void dm_history::work() {
  auto next_purge = std::chrono::steady_clock::now() + opt_.purge_interval;
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait_until(lock, next_purge, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    std::deque<job> batch;
    while (!queue_.empty() && batch.size() < opt_.batch_limit) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    if (std::chrono::steady_clock::now() >= next_purge) {
      purge();
      next_purge = std::chrono::steady_clock::now() + opt_.purge_interval;
    }
    if (!batch.empty()) run(batch);
    lock.lock();
  }
}

}  // namespace barertc::storage
