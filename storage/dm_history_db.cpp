// The DM history table in SQLite. The schema is the reference server's, so its database file
// carries over.
#include "storage/dm_history_db.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <map>

namespace barertc::storage {

std::string channel_id(const std::string& a, const std::string& b) {
  return a < b ? "@" + a + ":@" + b : "@" + b + ":@" + a;
}

std::optional<std::string> partner_in(const std::string& channel, const std::string& sender, const std::string& user) {
  // The sender is one party; the other is what remains of "@x:@y" around it.
  std::string other;
  auto first = "@" + sender + ":@";
  auto last = ":@" + sender;
  if (channel.rfind(first, 0) == 0 && channel.size() > first.size() && channel.substr(first.size()) > sender)
    other = channel.substr(first.size());
  else if (channel.size() > last.size() + 1 && channel.compare(channel.size() - last.size(), last.size(), last) == 0 &&
           channel[0] == '@' && channel.substr(1, channel.size() - last.size() - 1) < sender)
    other = channel.substr(1, channel.size() - last.size() - 1);
  else if (channel == "@" + sender + ":@" + sender)
    other = sender;  // a note to oneself
  else
    return std::nullopt;
  if (sender == user) return other;
  if (other == user) return sender;
  return std::nullopt;
}

class dm_history_db::statement {
 public:
  statement(dm_history_db& db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db.db_, sql, -1, &stmt_, nullptr) != SQLITE_OK) db.fail("preparing a statement");
  }
  ~statement() { sqlite3_finalize(stmt_); }
  statement& bind(int i, int64_t v) {
    if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) db_.fail("binding a value");
    return *this;
  }
  statement& bind(int i, const std::string& v) {
    if (sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
      db_.fail("binding a value");
    return *this;
  }
  /// True while there is a row.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) db_.fail("running a statement");
    return false;
  }
  int64_t integer(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
  }

 private:
  dm_history_db& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

dm_history_db::dm_history_db(const std::string& path) : path_(path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw db_error(path + ": cannot open the DM history database: " + why);
  }
  sqlite3_busy_timeout(db_, 2000);  // another process (sqlite3 shell) may hold the file briefly
  try {
    exec("CREATE TABLE IF NOT EXISTS direct_messages ("
         "message_id INTEGER PRIMARY KEY, channel_id TEXT, username TEXT, message TEXT, timestamp INTEGER)");
    exec("CREATE INDEX IF NOT EXISTS idx_direct_messages_channel_id ON direct_messages(channel_id)");
    exec("CREATE INDEX IF NOT EXISTS idx_direct_messages_username ON direct_messages(username)");
    exec("CREATE INDEX IF NOT EXISTS idx_direct_messages_timestamp ON direct_messages(timestamp)");
  } catch (const db_error&) {
    std::string why = sqlite3_errmsg(db_);
    sqlite3_close(db_);
    db_ = nullptr;
    throw db_error(path + ": cannot open the DM history database: " + why);
  }
}

dm_history_db::~dm_history_db() { sqlite3_close(db_); }

void dm_history_db::fail(const std::string& what) {
  throw db_error(path_ + ": DM history database error " + what + ": " + sqlite3_errmsg(db_));
}

void dm_history_db::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(std::string("in \"") + sql + "\"");
}

void dm_history_db::begin() { exec("BEGIN"); }
void dm_history_db::commit() { exec("COMMIT"); }
void dm_history_db::rollback() { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

void dm_history_db::insert(const stored_dm& m) {
  statement s(*this,
              "INSERT OR REPLACE INTO direct_messages (message_id, channel_id, username, message, timestamp) "
              "VALUES (?, ?, ?, ?, ?)");
  s.bind(1, m.msg_id).bind(2, channel_id(m.from, m.to)).bind(3, m.from).bind(4, m.message).bind(5, m.timestamp);
  s.step();
}

bool dm_history_db::erase(int64_t msg_id) {
  statement s(*this, "DELETE FROM direct_messages WHERE message_id = ?");
  s.bind(1, msg_id).step();
  return sqlite3_changes(db_) > 0;
}

std::optional<std::string> dm_history_db::sender_of(int64_t msg_id) {
  statement s(*this, "SELECT username FROM direct_messages WHERE message_id = ?");
  s.bind(1, msg_id);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

dm_page dm_history_db::page(const std::string& a, const std::string& b, int64_t before_id, int size) {
  // The senders pin the conversation down when two pairs of names share a channel ID.
  dm_page out;
  if (before_id <= 0) before_id = INT64_MAX;
  auto channel = channel_id(a, b);
  statement s(*this,
              "SELECT message_id, username, message, timestamp FROM direct_messages "
              "WHERE channel_id = ? AND username IN (?, ?) AND message_id < ? ORDER BY message_id DESC LIMIT ?");
  s.bind(1, channel).bind(2, a).bind(3, b).bind(4, before_id).bind(5, size);
  while (s.step()) {
    stored_dm m;
    m.msg_id = s.integer(0);
    m.from = s.text(1);
    m.to = m.from == a ? b : a;
    m.message = s.text(2);
    m.timestamp = s.integer(3);
    out.messages.push_back(std::move(m));
  }
  if (out.messages.empty()) return out;
  statement left(*this,
                 "SELECT COUNT(*) FROM direct_messages WHERE channel_id = ? AND username IN (?, ?) AND message_id < ?");
  left.bind(1, channel).bind(2, a).bind(3, b).bind(4, out.messages.back().msg_id);
  if (left.step()) out.remaining = left.integer(0);
  return out;
}

void dm_history_db::rows_of(const std::string& user, const std::function<void(int64_t, const std::string&)>& each) {
  // A substring match finds the candidates (no LIKE: names may hold % and _); partner_in decides.
  statement s(*this, "SELECT message_id, channel_id, username FROM direct_messages WHERE instr(channel_id, ?) > 0");
  s.bind(1, "@" + user);
  while (s.step())
    if (auto other = partner_in(s.text(1), s.text(2), user)) each(s.integer(0), *other);
}

partners_page dm_history_db::partners(const std::string& user, partner_order order, int64_t page, int per_page) {
  std::map<std::string, int64_t> newest;  // partner -> their conversation's newest msgID
  rows_of(user, [&](int64_t id, const std::string& other) {
    auto& n = newest[other];
    n = std::max(n, id);
  });
  std::vector<std::pair<std::string, int64_t>> all(newest.begin(), newest.end());  // a-z already
  if (order == partner_order::z_a) std::reverse(all.begin(), all.end());
  if (order == partner_order::newest || order == partner_order::oldest)
    std::sort(all.begin(), all.end(), [&](auto& x, auto& y) {
      return order == partner_order::newest ? x.second > y.second : x.second < y.second;
    });
  partners_page out;
  out.count = static_cast<int64_t>(all.size());
  out.pages = (out.count + per_page - 1) / per_page;
  if (page < 1 || page > out.pages) return out;  // (and no overflow for a huge page number)
  for (int64_t i = (page - 1) * per_page; i < out.count && i < page * per_page; ++i)
    out.usernames.push_back(all[static_cast<size_t>(i)].first);
  return out;
}

int64_t dm_history_db::clear(const std::string& user) {
  std::vector<int64_t> ids;
  rows_of(user, [&](int64_t id, const std::string&) { ids.push_back(id); });
  for (auto id : ids) erase(id);
  return static_cast<int64_t>(ids.size());
}

int64_t dm_history_db::purge_before(int64_t cutoff) {
  statement s(*this, "DELETE FROM direct_messages WHERE timestamp < ?");
  s.bind(1, cutoff).step();
  return sqlite3_changes(db_);
}

int64_t dm_history_db::max_msg_id() {
  statement s(*this, "SELECT COALESCE(MAX(message_id), 0) FROM direct_messages");
  return s.step() ? s.integer(0) : 0;
}

}  // namespace barertc::storage
