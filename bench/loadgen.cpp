// BareRTC load generator: drives many WebSocket clients against a server on loopback and prints
// one JSON line per scenario plus a human summary. Scenarios: join, fanout (closed loop),
// fanout-open (offered rate), dm (ping-pong pairs), idle (memory), slow (a client that never reads).
// Every chat message carries its send time, so latency is measured per delivery. With
// `--relations 1`, join and fanout run with per-recipient rules in place (mutes and boots, see
// `relations` below), and the closed-loop fan-out checks every delivery against them.
#include "bench/client.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <random>
#include <set>

using namespace barertc::bench;

namespace {

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 9000;
  std::string scenario = "fanout";
  int users = 1000;
  int senders = 10;
  double rate = 0;         // fanout-open: messages per second (all senders together)
  double duration = 10;    // seconds of measurement
  int pairs = 50;
  int concurrency = 50;    // join: connections in flight
  int server_pid = 0;
  double timeout = 600;    // the whole run stops by itself after this many seconds
  bool relations = false;  // join, fanout: users mute and boot others (issue 11)
  double muters = 0.10;    // share of users who mute others
  int mutes_each = 10;     // how many others each of them mutes
  double booters = 0.01;   // share of users who boot someone
  uint32_t seed = 11;      // the relations are the same in every run with the same seed and N
};

/// Who mutes and boots whom: fixed by the seed, so runs compare like with like. A share of the
/// users (`muters`) each mute `mutes_each` distinct others; a smaller share (`booters`) each boot
/// one. So that the fan-out really goes through the filter, half of the fan-out's senders are
/// among the muters, and one of every muter's targets is a sender (people mute those who post):
/// with 10 senders, each sender is muted by about a tenth of the muters, and some senders do not
/// receive each other's messages. The other targets, and the other muters and booters, are drawn
/// at random from everyone.
struct relations {
  std::vector<std::vector<int>> mutes;  ///< mutes[i]: the ids user i mutes (sorted)
  std::vector<std::vector<int>> boots;  ///< boots[i]: the ids user i boots
  std::vector<std::vector<int>> muted_by;
  size_t muters = 0, mute_count = 0, boot_count = 0;

  relations() = default;
  relations(int n, int senders, const options& o) : mutes(n), boots(n), muted_by(n) {
    if (n < 2) return;
    std::mt19937 rng(o.seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    senders = std::clamp(senders, 0, n);
    int want = std::clamp(static_cast<int>(o.muters * n + 0.5), 0, n);
    int each = std::clamp(o.mutes_each, 0, n - 1);
    // Muters: half the senders, then others at random.
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin() + senders, order.end(), rng);
    std::vector<int> who;
    for (int i = 0; i < senders / 2 && static_cast<int>(who.size()) < want; ++i) who.push_back(i);
    for (int i = senders; i < n && static_cast<int>(who.size()) < want; ++i) who.push_back(order[i]);
    for (int m : who) {
      std::set<int> t;
      if (senders > 1 || (senders == 1 && m != 0)) {
        int s;
        do s = pick(0, senders - 1);
        while (s == m);
        t.insert(s);
      }
      while (static_cast<int>(t.size()) < each) {
        int x = pick(0, n - 1);
        if (x != m) t.insert(x);
      }
      mutes[m].assign(t.begin(), t.end());
      for (int x : t) muted_by[x].push_back(m);
      mute_count += t.size();
    }
    muters = who.size();
    int bn = std::clamp(static_cast<int>(o.booters * n + 0.5), 0, n);
    for (int k = 0; k < bn; ++k) {
      int b = pick(0, n - 1), x;
      do x = pick(0, n - 1);
      while (x == b);
      boots[b].push_back(x);
      ++boot_count;
    }
  }

  bool muted(int recipient, int sender) const {
    auto& v = mutes[recipient];
    return std::binary_search(v.begin(), v.end(), sender);
  }

  /// What a user sends once logged in, as the web client does after its first `me` (boots, then
  /// mutes, one frame each).
  std::vector<std::string> frames(int id) const {
    std::vector<std::string> out;
    for (int x : boots[id]) out.push_back(R"({"action":"boot","username":"u)" + std::to_string(x) + "\"}");
    for (int x : mutes[id]) out.push_back(R"({"action":"mute","username":"u)" + std::to_string(x) + "\"}");
    return out;
  }
};

/// Parses `"<p>L <ns> <sender> <seq>` out of a message frame; false if it is not a bench message.
bool parse_bench(std::string_view m, int64_t& sent_ns, int& sender) {
  auto p = m.find("\"message\":\"<p>L ");
  if (p == std::string_view::npos) return false;
  p += 16;
  sent_ns = 0;
  while (p < m.size() && m[p] >= '0' && m[p] <= '9') sent_ns = sent_ns * 10 + (m[p++] - '0');
  ++p;
  sender = 0;
  while (p < m.size() && m[p] >= '0' && m[p] <= '9') sender = sender * 10 + (m[p++] - '0');
  return true;
}

/// Extra characters appended to each bench message (the slow scenario uses bigger messages so a
/// reader that stops fills its queue sooner).
size_t g_pad = 0;

std::string bench_message(const std::string& channel, int sender, uint64_t seq) {
  return R"({"action":"message","channel":")" + channel + R"(","message":"L )" + std::to_string(now_ns()) + " " +
         std::to_string(sender) + " " + std::to_string(seq) + (g_pad ? " " + std::string(g_pad, 'x') : "") + "\"}";
}

struct latencies {
  std::vector<uint32_t> us;
  void add(int64_t ns) { us.push_back(static_cast<uint32_t>(std::max<int64_t>(0, ns / 1000))); }
  double pct(double q) {
    if (us.empty()) return 0;
    auto k = static_cast<size_t>(q * (us.size() - 1));
    std::nth_element(us.begin(), us.begin() + k, us.end());
    return us[k] / 1000.0;
  }
  double max() { return us.empty() ? 0 : *std::max_element(us.begin(), us.end()) / 1000.0; }
};

class runner {
 public:
  explicit runner(options o) : o_(std::move(o)), ep_(asio::ip::make_address(o_.host), o_.port) {
    if (o_.relations) rel_ = relations(o_.users, o_.senders, o_);
  }

  int run() {
    auto deadline = std::make_shared<asio::steady_timer>(ioc_);
    deadline->expires_after(std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o_.timeout)));
    deadline->async_wait([this](beast::error_code ec) {
      if (!ec) {
        std::fprintf(stderr, "loadgen: timed out after %.0f s\n", o_.timeout);
        timed_out_ = true;
        ioc_.stop();
      }
    });
    cpu0_server_ = cpu_seconds(o_.server_pid);
    cpu0_self_ = cpu_seconds(0);
    rss0_ = rss_kib(o_.server_pid);
    if (o_.relations && o_.scenario != "join" && o_.scenario != "fanout") {
      std::fprintf(stderr, "loadgen: --relations is for the join and fanout scenarios\n");
      return 2;
    }
    if (o_.scenario == "join") join(o_.users, [this] { finish_join(); });
    else if (o_.scenario == "fanout")
      // The who lists the relations set off (and the storm's last ones) are let through first.
      join(o_.users, [this] { after_settle([this] { after_who_quiet([this] { start_fanout(); }); }); });
    else if (o_.scenario == "fanout-open" || o_.scenario == "slow")
      join(o_.users, [this] { after_settle([this] { start_fanout(); }); });
    else if (o_.scenario == "dm") join(o_.users, [this] { after_settle([this] { start_dm(); }); });
    else if (o_.scenario == "idle") join(o_.users, [this] {
        // Idle memory is read once the room has been idle for 10 s: the server returns free heap
        // pages every 5 s, and a room is idle for much longer than that in practice.
        after_settle([this] { finish_idle(); }, std::chrono::seconds(10));
      });
    else {
      std::fprintf(stderr, "loadgen: unknown scenario %s\n", o_.scenario.c_str());
      return 2;
    }
    ioc_.run();
    return timed_out_ || failed_ ? 1 : 0;
  }

 private:
  /// Connects n users, o_.concurrency at a time, and calls done when all are logged in and every
  /// who list shows everyone.
  void join(int n, std::function<void()> done) {
    join_start_ = steady::now();
    join_done_ = std::move(done);
    target_ = n;
    for (int i = 0; i < std::min(n, o_.concurrency); ++i) connect_next();
  }

  void connect_next() {
    if (next_id_ >= target_) return;
    auto c = std::make_shared<client>(ioc_, next_id_++);
    c->on_login = [this](client& cl) {
      // Relations go out right after the first `me`, as the web client sends them.
      if (o_.relations)
        for (auto& f : rel_.frames(cl.id)) cl.send(f);
      if (++logged_in_ == target_) login_seconds_ = std::chrono::duration<double>(steady::now() - join_start_).count();
      connect_next();
      check_joined();
    };
    c->on_who = [this](client& cl) {
      last_who_ = steady::now();
      ++who_lists_;
      if (cl.who_size == static_cast<size_t>(target_)) check_joined();
    };
    c->on_message = [this](client&, std::string_view m) { count_notice(m); };
    clients_.push_back(c);
    c->start(ep_);
  }

  void check_joined() {
    if (joined_ || logged_in_ < target_) return;
    for (auto& c : clients_)
      if (c->who_size != static_cast<size_t>(target_)) return;
    joined_ = true;
    join_seconds_ = std::chrono::duration<double>(steady::now() - join_start_).count();
    asio::post(ioc_, join_done_);
  }

  void after_settle(std::function<void()> next, std::chrono::milliseconds wait = std::chrono::milliseconds(500)) {
    auto t = std::make_shared<asio::steady_timer>(ioc_, wait);
    t->async_wait([t, next](beast::error_code) { next(); });
  }

  /// Calls next once no who list has arrived for `quiet` (at most `max` from now).
  void after_who_quiet(std::function<void()> next, std::chrono::milliseconds quiet = std::chrono::milliseconds(1000),
                       std::chrono::seconds max = std::chrono::seconds(20)) {
    auto until = steady::now() + max;
    auto t = std::make_shared<asio::steady_timer>(ioc_);
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, t, poll, next, quiet, until] {
      auto now = steady::now();
      if (now - last_who_ >= quiet || now >= until) {
        auto go = next;
        *poll = nullptr;  // breaks the cycle (and destroys this lambda: nothing of it is used after)
        return go();
      }
      t->expires_after(std::chrono::milliseconds(50));
      t->async_wait([poll](beast::error_code) {
        if (*poll) (*poll)();
      });
    };
    (*poll)();
  }

  /// Counts replies that say the server does not know an action (a server without mute/boot).
  void count_notice(std::string_view m) {
    if (m.find("Unsupported message type") != std::string_view::npos) ++unsupported_;
  }

  /// The scenario's name in the report, and the relation figures it reports.
  std::string name(const std::string& base) const { return o_.relations ? base + "+relations" : base; }
  void add_relation_fields(std::vector<std::pair<std::string, double>>& f) const {
    if (!o_.relations) return;
    f.push_back({"muters", double(rel_.muters)});
    f.push_back({"mutes", double(rel_.mute_count)});
    f.push_back({"boots", double(rel_.boot_count)});
    f.push_back({"unsupported_replies", double(unsupported_)});
  }

  void finish_join() {
    uint64_t bytes = 0;
    for (auto& c : clients_) bytes += c->bytes_in;
    std::vector<std::pair<std::string, double>> f{{"users", double(o_.users)},
                                                  {"seconds", join_seconds_},
                                                  {"all_logged_in_s", login_seconds_},
                                                  {"bytes_received", double(bytes)},
                                                  {"who_lists_received", double(who_lists_)}};
    add_relation_fields(f);
    if (!o_.relations) {
      report("join", f);
      return ioc_.stop();
    }
    // Were the relations in place? Not timed: after the storm, some muted users post one message
    // each, and every delivery is checked against the mutes. The probes are the 10 muted users
    // who joined first and the 10 who joined last (muted, mostly, before they were online).
    freeze_cpu();
    std::vector<int> muted;
    for (int i = 0; i < o_.users; ++i)
      if (!rel_.muted_by[i].empty()) muted.push_back(i);
    std::vector<int> probes;
    for (size_t k = 0; k < muted.size(); ++k)
      if (k < 10 || k + 10 >= muted.size()) probes.push_back(muted[k]);
    track(probes);
    for (auto& c : clients_)
      c->on_message = [this](client& cl, std::string_view m) { count_delivery(cl, m); };
    after_who_quiet([this, probes, f]() mutable {
      for (int id : probes) send_from(*clients_[id]);
      await_deliveries([this, f]() mutable {
        add_check_fields(f);
        report(name("join"), f);
        ioc_.stop();
      });
    });
  }

  /// Counts deliveries per (recipient, sender) for the senders in `ids` (the fan-out's senders, or
  /// the join storm's probes), to compare with what the mutes let through.
  void track(const std::vector<int>& ids) {
    tracked_ = ids;
    index_.assign(o_.users + 1, -1);
    for (size_t k = 0; k < ids.size(); ++k) index_[ids[k]] = static_cast<int>(k);
    sent_by_.assign(ids.size(), 0);
    got_.assign(static_cast<size_t>(o_.users) * ids.size(), 0);
  }

  /// Returns the sender of a bench message delivered to `cl` (or -1), and counts it.
  int count_delivery(client& cl, std::string_view m, int64_t* sent_ns = nullptr) {
    int64_t sent;
    int sender;
    if (!parse_bench(m, sent, sender)) {
      count_notice(m);
      return -1;
    }
    if (sent_ns) *sent_ns = sent;
    if (sender >= 0 && sender < static_cast<int>(index_.size()) && index_[sender] >= 0 && cl.id < o_.users) {
      ++got_[static_cast<size_t>(cl.id) * tracked_.size() + index_[sender]];
      ++delivered_;
    }
    return sender;
  }

  /// Deliveries the tracked messages should make: every user gets each, except those who muted
  /// its sender.
  uint64_t expected_deliveries() const {
    uint64_t e = 0;
    for (size_t k = 0; k < tracked_.size(); ++k) {
      size_t muters = o_.relations ? rel_.muted_by[tracked_[k]].size() : 0;
      e += sent_by_[k] * (o_.users - muters);
    }
    return e;
  }

  /// Waits until the tracked messages have all been delivered, or until deliveries stop coming
  /// for 3 s (then the check reports what is missing), then calls done.
  void await_deliveries(std::function<void()> done) {
    auto t = std::make_shared<asio::steady_timer>(ioc_);
    auto poll = std::make_shared<std::function<void()>>();
    auto last = std::make_shared<std::pair<uint64_t, steady::time_point>>(delivered_, steady::now());
    *poll = [this, t, poll, last, done] {
      auto now = steady::now();
      if (delivered_ != last->first) *last = {delivered_, now};
      if (delivered_ >= expected_deliveries() || now - last->second >= std::chrono::seconds(3)) {
        // A little longer when complete, so that a delivery the mutes should have stopped shows.
        auto extra = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(200));
        extra->async_wait([extra, done](beast::error_code) { done(); });
        *poll = nullptr;  // breaks the cycle (and destroys this lambda: nothing of it is used after)
        return;
      }
      t->expires_after(std::chrono::milliseconds(20));
      t->async_wait([poll](beast::error_code) {
        if (*poll) (*poll)();
      });
    };
    (*poll)();
  }

  /// The delivery check: each (recipient, sender) pair must have received every message of that
  /// sender, or none if the recipient muted the sender. Fails the run otherwise.
  void add_check_fields(std::vector<std::pair<std::string, double>>& f) {
    uint64_t sent = 0, unfiltered = 0, explained = 0, mismatched = 0, filtered_pairs = 0;
    for (size_t k = 0; k < tracked_.size(); ++k) {
      int s = tracked_[k];
      sent += sent_by_[k];
      unfiltered += sent_by_[k] * o_.users;
      if (o_.relations) explained += sent_by_[k] * rel_.muted_by[s].size();
      for (int r = 0; r < o_.users; ++r) {
        bool muted = o_.relations && rel_.muted(r, s);
        filtered_pairs += muted;
        uint64_t want = muted ? 0 : sent_by_[k];
        if (got_[static_cast<size_t>(r) * tracked_.size() + k] != want) {
          if (mismatched < 5)
            std::fprintf(stderr, "loadgen: u%d got %u messages from u%d, expected %llu%s\n", r,
                         got_[static_cast<size_t>(r) * tracked_.size() + k], s,
                         static_cast<unsigned long long>(want), muted ? " (muted)" : "");
          ++mismatched;
        }
      }
    }
    uint64_t missing = unfiltered >= delivered_ ? unfiltered - delivered_ : 0;
    f.push_back({"checked_messages", double(sent)});
    f.push_back({"checked_deliveries", double(delivered_)});
    f.push_back({"deliveries_if_unfiltered", double(unfiltered)});
    f.push_back({"missing", double(missing)});
    f.push_back({"explained_by_mutes", double(explained)});
    f.push_back({"filtered_pairs", double(filtered_pairs)});
    f.push_back({"pairs_wrong", double(mismatched)});
    if (mismatched || missing != explained || delivered_ > unfiltered) {
      std::fprintf(stderr, "loadgen: %s: delivery check failed: %llu pairs wrong, %llu missing, %llu explained by mutes\n",
                   name(o_.scenario).c_str(), static_cast<unsigned long long>(mismatched),
                   static_cast<unsigned long long>(missing), static_cast<unsigned long long>(explained));
      failed_ = true;
    }
  }

  void finish_idle() {
    long rss = rss_kib(o_.server_pid);
    report("idle", {{"users", double(o_.users)},
                    {"server_rss_kib_before", double(rss0_)},
                    {"server_rss_kib", double(rss)},
                    {"kib_per_user", o_.users ? double(rss - rss0_) / o_.users : 0}});
    ioc_.stop();
  }

  void start_fanout() {
    bool open = o_.scenario == "fanout-open";
    if (o_.scenario == "slow") add_slow_client();
    bool check = o_.scenario == "fanout";  // closed loop: every delivery is checked afterwards
    if (check) {
      std::vector<int> ids;
      for (int i = 0; i < o_.senders && i < o_.users; ++i) ids.push_back(i);
      track(ids);
    }
    for (auto& c : clients_) {
      c->on_message = [this](client& cl, std::string_view m) {
        int64_t sent;
        int sender = count_delivery(cl, m, &sent);
        if (sender < 0) return;
        if (measuring_) {
          ++deliveries_;
          lat_.add(now_ns() - sent);
        }
        if (!open_loop_ && sender == cl.id && cl.id < o_.senders && running_) send_from(cl);
      };
    }
    open_loop_ = open;
    running_ = true;
    begin_measure();
    if (open) {
      tick_ = std::make_shared<asio::steady_timer>(ioc_);
      open_start_ = steady::now();
      tick();
    } else {
      for (int i = 0; i < o_.senders && i < static_cast<int>(clients_.size()); ++i) send_from(*clients_[i]);
    }
    end_after(o_.duration, check, [this, open, check] {
      double secs = measured_seconds();
      std::vector<std::pair<std::string, double>> f{{"users", double(o_.users)},
                                                    {"senders", double(o_.senders)},
                                                    {"deliveries_per_s", deliveries_ / secs},
                                                    {"messages_per_s", double(sent_) / secs}};
      if (open) f.push_back({"offered_deliveries_per_s", o_.rate * o_.users});
      if (slow_) {
        f.push_back({"slow_client_dropped", slow_->closed ? 1.0 : 0.0});
        f.push_back({"slow_client_close_code", double(slow_->close_code)});
      }
      add_relation_fields(f);
      if (check) add_check_fields(f);
      report(name(o_.scenario), f, true);
    });
  }

  void add_slow_client() {
    // A client with a tiny receive buffer that stops reading once logged in.
    auto c = std::make_shared<client>(ioc_, 1000000);
    c->on_login = [](client& cl) { cl.reading = false; };
    slow_ = c;
    c->start(ep_, 4096);
  }

  void send_from(client& c) {
    ++sent_;
    if (c.id < static_cast<int>(index_.size()) && index_[c.id] >= 0) ++sent_by_[index_[c.id]];
    c.send(bench_message("lobby", c.id, sent_));
  }

  void tick() {
    // Open loop: keep the offered rate whatever the latency.
    double elapsed = std::chrono::duration<double>(steady::now() - open_start_).count();
    auto due = static_cast<uint64_t>(elapsed * o_.rate);
    while (sent_ < due) send_from(*clients_[sent_ % std::max(1, o_.senders)]);
    if (!running_) return;
    tick_->expires_after(std::chrono::microseconds(500));
    tick_->async_wait([this](beast::error_code ec) {
      if (!ec) tick();
    });
  }

  void start_dm() {
    int pairs = std::min(o_.pairs, o_.users / 2);
    for (int i = 0; i < 2 * pairs; ++i) {
      auto& c = *clients_[i];
      bool initiator = i % 2 == 0;
      std::string partner = clients_[initiator ? i + 1 : i - 1]->name;
      c.on_message = [this, initiator, partner](client& cl, std::string_view m) {
        int64_t sent;
        int sender;
        if (!parse_bench(m, sent, sender)) return;
        if (m.find("\"username\":\"" + cl.name + "\"") != std::string_view::npos) return;  // own copy
        if (initiator) {
          if (measuring_) {
            ++deliveries_;
            lat_.add(now_ns() - sent);
          }
          if (running_) {
            ++sent_;
            cl.send(bench_message("@" + partner, cl.id, sent_));
          }
        } else {
          // Echo the same send time back: the initiator measures the round trip.
          cl.send(R"({"action":"message","channel":"@)" + partner + R"(","message":"L )" + std::to_string(sent) +
                  " " + std::to_string(cl.id) + " 0\"}");
        }
      };
    }
    running_ = true;
    begin_measure();
    for (int i = 0; i < 2 * pairs; i += 2) {
      ++sent_;
      clients_[i]->send(bench_message("@" + clients_[i + 1]->name, i, sent_));
    }
    end_after(o_.duration, false, [this, pairs] {
      double secs = measured_seconds();
      report("dm", {{"users", double(o_.users)}, {"pairs", double(pairs)}, {"round_trips_per_s", deliveries_ / secs}},
             true);
    });
  }

  void begin_measure() {
    measuring_ = true;
    measure_start_ = steady::now();
    cpu0_server_ = cpu_seconds(o_.server_pid);
    cpu0_self_ = cpu_seconds(0);
  }
  double measured_seconds() { return std::chrono::duration<double>(measure_end_ - measure_start_).count(); }

  /// Ends the measurement after `seconds`; with `await`, waits for every tracked message's
  /// deliveries (not timed) before calling done.
  void end_after(double seconds, bool await, std::function<void()> done) {
    auto t = std::make_shared<asio::steady_timer>(ioc_, std::chrono::duration_cast<steady::duration>(
                                                            std::chrono::duration<double>(seconds)));
    t->async_wait([this, t, await, done](beast::error_code) {
      measuring_ = false;
      running_ = false;
      measure_end_ = steady::now();
      if (await) {
        freeze_cpu();
        return await_deliveries([this, done] {
          done();
          ioc_.stop();
        });
      }
      // Give in-flight messages (and the slow client's close) a moment, then report.
      auto grace = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(300));
      grace->async_wait([this, grace, done](beast::error_code) {
        if (slow_) {
          slow_->reading = true;
          slow_->read();
        }
        auto more = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(slow_ ? 1500 : 0));
        more->async_wait([this, more, done](beast::error_code) {
          done();
          ioc_.stop();
        });
      });
    });
  }

  /// The CPU figures of the report are read now (what follows is a check, not the measurement).
  void freeze_cpu() {
    cpu1_server_ = cpu_seconds(o_.server_pid);
    cpu1_self_ = cpu_seconds(0);
    cpu_frozen_ = true;
  }

  void report(const std::string& scenario, std::vector<std::pair<std::string, double>> fields, bool latency = false) {
    double server_cpu = (cpu_frozen_ ? cpu1_server_ : cpu_seconds(o_.server_pid)) - cpu0_server_;
    double self_cpu = (cpu_frozen_ ? cpu1_self_ : cpu_seconds(0)) - cpu0_self_;
    std::ostringstream js;
    js << R"({"scenario":")" << scenario << '"';
    for (auto& [k, v] : fields) js << ",\"" << k << "\":" << v;
    if (latency) {
      js << ",\"p50_ms\":" << lat_.pct(0.5) << ",\"p90_ms\":" << lat_.pct(0.9) << ",\"p99_ms\":" << lat_.pct(0.99)
         << ",\"max_ms\":" << lat_.max() << ",\"samples\":" << lat_.us.size();
    }
    if (o_.server_pid) js << ",\"server_cpu_s\":" << server_cpu << ",\"server_rss_kib\":" << rss_kib(o_.server_pid);
    js << ",\"loadgen_cpu_s\":" << self_cpu << "}";
    std::cout << js.str() << "\n";
    std::cout << "# " << scenario << ":";
    for (auto& [k, v] : fields) std::cout << " " << k << "=" << v;
    if (latency)
      std::cout << " latency p50=" << lat_.pct(0.5) << "ms p99=" << lat_.pct(0.99) << "ms max=" << lat_.max() << "ms";
    std::cout << " | cpu: server " << server_cpu << "s, loadgen " << self_cpu << "s\n";
    std::cout.flush();
  }

  options o_;
  asio::io_context ioc_;
  tcp::endpoint ep_;
  std::vector<std::shared_ptr<client>> clients_;
  std::shared_ptr<client> slow_;
  int next_id_ = 0, target_ = 0, logged_in_ = 0;
  bool joined_ = false, timed_out_ = false, running_ = false, measuring_ = false, open_loop_ = false;
  steady::time_point join_start_, measure_start_, measure_end_, open_start_;
  double join_seconds_ = 0, login_seconds_ = 0;
  std::function<void()> join_done_;
  std::shared_ptr<asio::steady_timer> tick_;
  uint64_t sent_ = 0;
  double deliveries_ = 0;
  latencies lat_;
  double cpu0_server_ = 0, cpu0_self_ = 0, cpu1_server_ = 0, cpu1_self_ = 0;
  bool cpu_frozen_ = false, failed_ = false;
  long rss0_ = 0;
  relations rel_;
  steady::time_point last_who_{};
  uint64_t who_lists_ = 0, unsupported_ = 0;
  // The delivery check: tracked senders, their index by id, messages each sent, and deliveries
  // per (recipient, tracked sender).
  std::vector<int> tracked_, index_;
  std::vector<uint64_t> sent_by_;
  std::vector<uint32_t> got_;
  uint64_t delivered_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--host") o.host = v;
    else if (k == "--port") o.port = static_cast<unsigned short>(std::stoi(v));
    else if (k == "--scenario") o.scenario = v;
    else if (k == "--users") o.users = std::stoi(v);
    else if (k == "--senders") o.senders = std::stoi(v);
    else if (k == "--rate") o.rate = std::stod(v);
    else if (k == "--duration") o.duration = std::stod(v);
    else if (k == "--pairs") o.pairs = std::stoi(v);
    else if (k == "--concurrency") o.concurrency = std::stoi(v);
    else if (k == "--server-pid") o.server_pid = std::stoi(v);
    else if (k == "--timeout") o.timeout = std::stod(v);
    else if (k == "--pad") g_pad = std::stoul(v);
    else if (k == "--relations") o.relations = v != "0";
    else if (k == "--muters") o.muters = std::stod(v);
    else if (k == "--mutes-each") o.mutes_each = std::stoi(v);
    else if (k == "--booters") o.booters = std::stod(v);
    else if (k == "--seed") o.seed = static_cast<uint32_t>(std::stoul(v));
    else {
      std::fprintf(stderr, "loadgen: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  auto addr = asio::ip::make_address(o.host);
  if (o.scenario == "slow" && g_pad == 0) g_pad = 3900;
  if (!addr.is_loopback()) {
    std::fprintf(stderr, "loadgen: only loopback addresses are allowed (got %s)\n", o.host.c_str());
    return 2;
  }
  raise_fd_limit();
  return runner(o).run();
}
