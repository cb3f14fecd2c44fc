// The machine's floor for lobby fan-out: no chat server, no WebSocket, no JSON. `writers` threads
// share N loopback TCP connections and write one small stamped message to each of them per
// tick; `readers` threads (like the load generator's) take them in with epoll and measure each
// delivery. Whatever latency this shows, no server on this machine can beat with N sockets.
//   floor [--users N] [--rate MSGS_PER_S] [--duration S] [--writers W] [--readers R] [--bytes B]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double pct(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return static_cast<double>(v[k]) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  int users = 1000, writers = 1, readers = 1;
  double rate = 40, duration = 10;
  size_t bytes = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--users") users = std::stoi(v);
    else if (k == "--rate") rate = std::stod(v);
    else if (k == "--duration") duration = std::stod(v);
    else if (k == "--writers") writers = std::max(1, std::stoi(v));
    else if (k == "--readers") readers = std::max(1, std::stoi(v));
    else if (k == "--bytes") bytes = std::max<size_t>(16, std::stoul(v));
  }
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) || listen(lfd, 4096) ||
      getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len)) {
    perror("listen");
    return 1;
  }
  std::vector<int> out, in;
  int one = 1, off = 0;
  for (int i = 0; i < users; ++i) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr)) {
      perror("connect (raise ulimit -n?)");
      return 1;
    }
    int s = accept(lfd, nullptr, nullptr);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as the server's sockets
    setsockopt(c, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof off);  // as the generator's
    out.push_back(s);
    in.push_back(c);
  }
  std::atomic<bool> running{true};
  std::vector<std::vector<int64_t>> lats(static_cast<size_t>(readers));
  std::vector<std::thread> reader_threads;
  for (int r = 0; r < readers; ++r) {
    int ep = epoll_create1(0);
    for (size_t i = static_cast<size_t>(r); i < in.size(); i += static_cast<size_t>(readers)) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLET;
      ev.data.fd = in[i];
      epoll_ctl(ep, EPOLL_CTL_ADD, in[i], &ev);
    }
    reader_threads.emplace_back([&, ep, r] {
      auto& lat = lats[static_cast<size_t>(r)];
      std::vector<char> buf(65536);
      epoll_event evs[256];
      while (running) {
        int n = epoll_wait(ep, evs, 256, 50);
        for (int i = 0; i < n; ++i) {
          for (;;) {
            ssize_t got = recv(evs[i].data.fd, buf.data(), buf.size(), 0);
            if (got <= 0) break;
            int64_t t = now_ns();
            for (ssize_t at = 0; at + static_cast<ssize_t>(bytes) <= got; at += static_cast<ssize_t>(bytes)) {
              int64_t sent;
              std::memcpy(&sent, buf.data() + at, sizeof sent);
              lat.push_back(t - sent);
            }
            if (got < static_cast<ssize_t>(buf.size())) break;
          }
        }
      }
      close(ep);
    });
  }
  // Each writer thread owns every writers-th socket and, on each tick, wakes, stamps its own copy
  // of the message and writes it to its sockets. Stamping at each writer's own wake-up leaves out
  // any hand-off between threads, so the floor errs low, as a lower bound should.
  auto start = std::chrono::steady_clock::now();
  auto period = std::chrono::duration<double>(1.0 / rate);
  int ticks = static_cast<int>(duration * rate);
  auto writer = [&](int w) {
    std::vector<char> msg(bytes, 'x');
    for (int tick = 0; tick < ticks; ++tick) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period * tick));
      int64_t stamp = now_ns();
      std::memcpy(msg.data(), &stamp, sizeof stamp);
      for (size_t i = static_cast<size_t>(w); i < out.size(); i += static_cast<size_t>(writers))
        if (send(out[i], msg.data(), msg.size(), MSG_NOSIGNAL) < 0) perror("send");
    }
  };
  std::vector<std::thread> writer_threads;
  for (int w = 1; w < writers; ++w) writer_threads.emplace_back(writer, w);
  writer(0);
  for (auto& t : writer_threads) t.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  running = false;
  for (auto& t : reader_threads) t.join();
  std::vector<int64_t> lat;
  for (auto& l : lats) lat.insert(lat.end(), l.begin(), l.end());
  size_t n = lat.size();
  std::printf("{\"scenario\":\"floor\",\"users\":%d,\"writers\":%d,\"readers\":%d,\"rate\":%g,\"deliveries\":%zu,\"p50_ms\":%.3f,"
              "\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
              users, writers, readers, rate, n, pct(lat, 0.5), pct(lat, 0.9), pct(lat, 0.99), pct(lat, 1.0));
  std::printf("# floor: %d sockets, %d writer / %d reader thread(s), %g msgs/s: p50=%.3fms p99=%.3fms max=%.3fms\n",
              users, writers, readers, rate, pct(lat, 0.5), pct(lat, 0.99), pct(lat, 1.0));
  return 0;
}
