#!/usr/bin/env bash
# Runs the benchmark matrix against a fresh server on loopback and prints one JSON line per
# scenario plus a human summary. Usage: bench/run.sh [quick|full|relations|uploads|compression] [extra server flags...]
#   quick:     a smoke run for CI (few users, short; never fails on speed)
#   full:      the matrix of docs/performance.md
#   uploads:   "Uploads in flight" of docs/performance.md: lobby latency with no uploads, then with
#              10 users each keeping a 12 MP photo upload in flight, UPLOADS_REPS times (default 3);
#              IMAGE_WORKERS=n sets the server's ImageWorkers for these runs
#   relations: "Relations on" of docs/performance.md: fan-out N=1000 and join storm N=2000, each
#              with and without mutes and boots, alternating, RELATIONS_REPS times (default 5)
#   compression: "Compression (permessage-deflate)" of docs/performance.md: join storms N=2000 and
#              N=10000 and the closed-loop fan-out N=1000, each with compression on (the server's
#              default, loadgen --deflate) and off (Compression = false, no offer), alternating,
#              COMPRESSION_REPS times (default 2); COMPRESSION_BIG=0 leaves out the N=10000 storms
#   cluster:   "Cluster" of docs/performance.md: one node against three nodes and a redis-server on
#              the same machine (users spread round robin): closed-loop fan-out N=600, open-loop
#              latency N=600 at 100 messages/s, the hop's own latency (N=60 at 50/s: no queueing), join
#              storm N=3000; CLUSTER_REPS times (default 2); CLUSTER_SCENARIOS picks some of
#              "fanout open hop join"
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-full}
shift || true
flags=("$@")  # extra server flags (the thread matrix below reuses "$@")
build=${BUILD_DIR:-build}
[[ -x $build/barertc && -x $build/loadgen && -x $build/floor ]] || scripts/build.sh --target barertc loadgen floor
work=$(mktemp -d)
node_pids=()
redis_pid=
trap 'kill $server_pid ${node_pids[@]+"${node_pids[@]}"} $redis_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/settings.toml" <<'TOML'
[Server]
Address = "127.0.0.1:0"
RateLimit = 0          # the generator's senders post far faster than a person
[[PublicChannels]]
ID = "lobby"
Name = "Lobby"
TOML

# The slow-reader probe uses a 1 MiB send-queue bound so a client that stops reading is dropped
# within seconds (the default 8 MiB plus kernel buffers takes longer to fill).
sed 's/^RateLimit = 0 .*/RateLimit = 0\nSendQueueBytes = 1048576/' "$work/settings.toml" > "$work/slow.toml"
# Compression off: the server neither accepts permessage-deflate nor compresses.
sed 's/^RateLimit = 0 .*/&\nCompression = false/' "$work/settings.toml" > "$work/nodeflate.toml"
# The uploads scenario shares photos in a channel of their own that permits them (the default
# MaxMessageBytes, 40 MiB, takes an 8 MiB photo as a JSON array of integers).
{
  if [[ -n ${IMAGE_WORKERS:-} ]]; then
    sed "s/^RateLimit = 0 .*/&\nImageWorkers = $IMAGE_WORKERS/" "$work/settings.toml"
  else
    cat "$work/settings.toml"
  fi
  printf '[[PublicChannels]]\nID = "offtopic"\nName = "Off Topic"\nPermitPhotos = true\n'
} > "$work/uploads.toml"

server_pid=
config=settings.toml
start_server() {
  kill $server_pid 2>/dev/null && wait $server_pid 2>/dev/null || true
  # Emptied first: otherwise the loop below can read the previous server's port from the old log
  # before the new server's redirection truncates it.
  : > "$work/server.log"
  "$build/barertc" --config "$work/$config" "$@" > "$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    port=$(grep -oP '\(port \K[0-9]+' "$work/server.log" || true)
    [[ -n $port ]] && return 0
    sleep 0.05
  done
  echo "server did not start"; cat "$work/server.log"; exit 1
}
gen() { "$build/loadgen" --port "$port" --server-pid "$server_pid" "$@"; }

echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "# server flags: ${*:-(defaults)}"
if [[ $mode == quick ]]; then
  start_server "$@"
  gen --scenario join --users 100 --timeout 60
  # Compression: fails only if the clients do not negotiate permessage-deflate or nothing comes
  # compressed (a join's who lists do), never on speed or size.
  start_server "$@"; gen --scenario join --users 100 --timeout 60 --deflate | tee "$work/deflate.txt"
  grep -q '"deflate_clients":100,' "$work/deflate.txt" && ! grep -q '"compressed_messages":0,' "$work/deflate.txt" ||
    { echo "quick: permessage-deflate was not negotiated or nothing came compressed"; exit 1; }
  start_server "$@"; gen --scenario fanout --users 100 --duration 2 --timeout 60
  # Relations on: fails only if a delivery breaks the mutes (or a mute stops nothing), never on speed.
  start_server "$@"; gen --scenario fanout --users 100 --duration 2 --timeout 60 --relations 1
  start_server "$@"; gen --scenario join --users 100 --timeout 60 --relations 1
  start_server "$@"; gen --scenario fanout-open --users 100 --rate 200 --duration 2 --timeout 60
  start_server "$@"; gen --scenario dm --users 100 --pairs 20 --duration 2 --timeout 60
  start_server "$@"; gen --scenario idle --users 200 --timeout 60
  config=slow.toml; start_server "$@"; gen --scenario slow --users 50 --duration 4 --timeout 60
  # Uploads: a small photo and two uploaders; fails only if images or lobby messages do not come through.
  config=uploads.toml; start_server "$@"
  gen --scenario uploads --users 50 --uploaders 2 --rate 20 --duration 1 --warmup 0.5 \
    --image-width 1600 --image-height 1200 --timeout 60
  config=settings.toml
  "$build/floor" --users 100 --rate 200 --duration 2
  exit 0
fi
# Relations on (issue 11): the same runs with and without mutes and boots, in alternating order so
# that drift in the machine's other load falls on both. Prints a summary (median of each) at the end.
relations_runs() {
  local reps=$1 out="$work/relations.jsonl" r rel
  shift
  for r in $(seq "$reps"); do
    for rel in $( ((r % 2)) && echo "0 1" || echo "1 0"); do
      start_server "$@"; gen --scenario fanout --users 1000 --duration 10 --timeout 300 --relations $rel | tee -a "$out"
    done
    for rel in $( ((r % 2)) && echo "1 0" || echo "0 1"); do
      start_server "$@"; gen --scenario join --users 2000 --timeout 300 --relations $rel | tee -a "$out"
    done
  done
  awk -F'[:,]' '
    /^\{/ { name = $2; gsub(/"/, "", name)
             for (i = 3; i < NF; i += 2) { k = $i; gsub(/"/, "", k); v[k] = $(i + 1) }
             x = (name ~ /^fanout/) ? v["deliveries_per_s"] : v["seconds"]
             vals[name] = vals[name] " " x }
    function median(s,   a, n, i, j, t) { n = split(s, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    END { f0 = median(vals["fanout"]); f1 = median(vals["fanout+relations"])
          j0 = median(vals["join"]); j1 = median(vals["join+relations"])
          printf "# relations: fan-out deliveries/s median %.0f without, %.0f with (%.1f %%, goal >= 90 %%)\n", f0, f1, f0 ? 100 * f1 / f0 : 0
          printf "#   runs without:%s\n#   runs with:%s\n", vals["fanout"], vals["fanout+relations"]
          printf "# relations: join N=2000 seconds median %.2f without, %.2f with (%.2fx, goal <= 1.5x)\n", j0, j1, j0 ? j1 / j0 : 0
          printf "#   runs without:%s\n#   runs with:%s\n", vals["join"], vals["join+relations"] }' "$out"
}
if [[ $mode == relations ]]; then
  relations_runs "${RELATIONS_REPS:-5}" "$@"
  exit 0
fi
# Uploads in flight (message life): lobby message latency with no uploads and with 10 in flight, each
# run on a fresh server. Prints a summary (median of each figure) at the end.
uploads_runs() {
  local reps=$1 out="$work/uploads.jsonl" r
  shift
  config=uploads.toml
  for r in $(seq "$reps"); do
    start_server "$@"
    gen --scenario uploads --users 200 --uploaders 10 --rate 20 --duration 30 --timeout 600 | tee -a "$out"
  done
  config=settings.toml
  awk -F'[:,]' '
    /^\{/ { for (i = 3; i < NF; i += 2) { k = $i; gsub(/"/, "", k); v[k] = $(i + 1) }
            for (k in want) vals[k] = vals[k] " " v[k] }
    function median(s,   a, n, i, j, t) { n = split(s, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    BEGIN { split("idle_p99_ms uploads_p99_ms p99_ratio images_per_s", w, " "); for (i in w) want[w[i]] = 1 }
    END { printf "# uploads: lobby p99 median %.2f ms idle, %.2f ms with 10 uploads in flight (ratio %.2fx, goal <= 2x); %.2f images/s\n",
                 median(vals["idle_p99_ms"]), median(vals["uploads_p99_ms"]), median(vals["p99_ratio"]), median(vals["images_per_s"])
          printf "#   idle p99:%s\n#   uploads p99:%s\n#   ratios:%s\n#   images/s:%s\n",
                 vals["idle_p99_ms"], vals["uploads_p99_ms"], vals["p99_ratio"], vals["images_per_s"] }' "$out"
}
# Compression on against off (permessage-deflate): the same runs on fresh servers, in alternating
# order so that drift in the machine's other load falls on both. Prints medians and ratios at the end.
compression_runs() {
  local reps=$1 out="$work/compression.jsonl" r on n
  shift
  local sizes="2000"
  [[ ${COMPRESSION_BIG:-1} != 0 ]] && sizes="2000 10000"
  for r in $(seq "$reps"); do
    for n in $sizes fanout; do
      for on in $( ((r % 2)) && echo "1 0" || echo "0 1"); do
        if ((on)); then config=settings.toml; else config=nodeflate.toml; fi
        start_server "$@"
        local deflate=()
        ((on)) && deflate=(--deflate)
        if [[ $n == fanout ]]; then
          gen --scenario fanout --users 1000 --duration 10 --timeout 300 ${deflate[@]+"${deflate[@]}"} | tee -a "$out"
        else
          gen --scenario join --users "$n" --timeout 1200 ${deflate[@]+"${deflate[@]}"} | tee -a "$out"
        fi
      done
    done
  done
  config=settings.toml
  awk -F'[:,]' '
    /^\{/ { name = $2; gsub(/"/, "", name); delete v
             for (i = 3; i < NF; i += 2) { k = $i; gsub(/"/, "", k); v[k] = $(i + 1) }
             if (name ~ /^join/) name = name "/" v["users"]
             secs[name] = secs[name] " " v["seconds"]; bytes[name] = bytes[name] " " v["bytes_received"]
             rate[name] = rate[name] " " v["deliveries_per_s"]; mbytes[name] = mbytes[name] " " v["bytes_received_measured"] }
    function median(s,   a, n, i, j, t) { n = split(s, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    END {
      for (n = 2000; n <= 10000; n += 8000) {
        off = "join/" n; on = "join+deflate/" n
        if (!(off in bytes) || !(on in bytes)) continue
        b0 = median(bytes[off]); b1 = median(bytes[on]); s0 = median(secs[off]); s1 = median(secs[on])
        printf "# compression: join N=%d bytes on the wire median %.1f MB off, %.1f MB on (%.1fx fewer, goal >= 5x)\n", n, b0 / 1e6, b1 / 1e6, b1 ? b0 / b1 : 0
        printf "# compression: join N=%d seconds median %.2f off, %.2f on%s\n", n, s0, s1, n == 10000 ? " (goal on: < 15 s)" : ""
        printf "#   bytes off:%s\n#   bytes on:%s\n#   seconds off:%s\n#   seconds on:%s\n", bytes[off], bytes[on], secs[off], secs[on]
      }
      if ("fanout" in rate && "fanout+deflate" in rate) {
        f0 = median(rate["fanout"]); f1 = median(rate["fanout+deflate"])
        printf "# compression: fan-out N=1000 deliveries/s median %.0f off, %.0f on (%.1f %%, goal >= 90 %%)\n", f0, f1, f0 ? 100 * f1 / f0 : 0
        printf "#   runs off:%s\n#   runs on:%s\n", rate["fanout"], rate["fanout+deflate"]
        printf "#   bytes in the measured 10 s off:%s\n#   on:%s\n", mbytes["fanout"], mbytes["fanout+deflate"]
      } }' "$out"
}
if [[ $mode == compression ]]; then
  compression_runs "${COMPRESSION_REPS:-2}" "$@"
  exit 0
fi
# One node against a cluster of three (issue 14), on the same machine, alternating.
cluster_runs() {
  local reps=$1 out="$work/cluster.jsonl" r kind
  shift
  local redis_bin
  redis_bin=$(command -v redis-server || echo /usr/bin/redis-server)
  [[ -x $redis_bin ]] || { echo "cluster: redis-server is not installed (scripts/install-deps.sh)"; exit 1; }
  local redis_port
  redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$redis_bin" --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" > "$work/redis.log" 2>&1 &
  redis_pid=$!
  sleep 0.5
  local ports=()
  start_nodes() {
    kill ${node_pids[@]+"${node_pids[@]}"} 2>/dev/null && wait ${node_pids[@]+"${node_pids[@]}"} 2>/dev/null || true
    node_pids=()
    ports=()
    local i
    for i in 1 2 3; do
      { cat "$work/settings.toml"
        printf '[Cluster]\nEnabled = true\nRedisURL = "redis://127.0.0.1:%s/0"\nNodeName = "bench-%s"\n' "$redis_port" "$i"
      } > "$work/node$i.toml"
      : > "$work/node$i.log"
      "$build/barertc" --config "$work/node$i.toml" "$@" > "$work/node$i.log" 2>&1 &
      node_pids+=($!)
      local port=
      for _ in $(seq 100); do
        port=$(grep -oP '\(port \K[0-9]+' "$work/node$i.log" || true)
        [[ -n $port ]] && break
        sleep 0.05
      done
      [[ -n $port ]] || { echo "node $i did not start"; cat "$work/node$i.log"; exit 1; }
      ports+=("$port")
    done
    sleep 1.5  # the nodes hear each other's heartbeats
  }
  cgen() { "$build/loadgen" --ports "$(IFS=,; echo "${ports[*]}")" --port "${ports[0]}" --server-pid "${node_pids[0]}" "$@"; }
  for r in $(seq "$reps"); do
    for kind in $( ((r % 2)) && echo "one three" || echo "three one"); do
      for scenario in ${CLUSTER_SCENARIOS:-fanout open hop join}; do
        local args=()
        case $scenario in
          fanout) args=(--scenario fanout --users 600 --duration 10 --timeout 300) ;;
          open) args=(--scenario fanout-open --users 600 --rate 100 --duration 10 --timeout 300) ;;
          hop) args=(--scenario fanout-open --users 60 --rate 50 --duration 10 --timeout 300) ;;
          join) args=(--scenario join --users 3000 --timeout 1200) ;;
        esac
        if [[ $kind == one ]]; then
          kill ${node_pids[@]+"${node_pids[@]}"} 2>/dev/null || true
          start_server "$@"; gen "${args[@]}" | sed "s/^{/{\"nodes\":1,/" | tee -a "$out"
        else
          kill $server_pid 2>/dev/null || true
          start_nodes "$@"; cgen "${args[@]}" | sed "s/^{/{\"nodes\":3,/" | tee -a "$out"
        fi
      done
    done
  done
  awk -F'[:,]' '
    /^\{/ { delete v; for (i = 1; i < NF; i += 2) { k = $i; gsub(/[{"]/, "", k); v[k] = $(i + 1) }
             name = v["scenario"]; gsub(/"/, "", name); if (v["users"] == 60) name = "hop"; key = name "/" v["nodes"]
             rate[key] = rate[key] " " v["deliveries_per_s"]; p99[key] = p99[key] " " v["p99_ms"]; p50[key] = p50[key] " " v["p50_ms"]
             secs[key] = secs[key] " " v["seconds"] }
    function median(s,   a, n, i, j, t) { n = split(s, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    END {
      f1 = median(rate["fanout/1"]); f3 = median(rate["fanout/3"])
      printf "# cluster: fan-out N=600 deliveries/s median %.0f one node, %.0f three nodes (%.0f %%, goal >= 60 %%)\n", f1, f3, f1 ? 100 * f3 / f1 : 0
      printf "#   one:%s\n#   three:%s\n", rate["fanout/1"], rate["fanout/3"]
      l1 = median(p99["fanout-open/1"]); l3 = median(p99["fanout-open/3"])
      printf "# cluster: open loop N=600 at 100/s p99 median %.2f ms one node, %.2f ms three nodes (added %.2f ms, goal <= 3 ms)\n", l1, l3, l3 - l1
      printf "#   one:%s\n#   three:%s\n", p99["fanout-open/1"], p99["fanout-open/3"]
      h1 = median(p99["hop/1"]); h3 = median(p99["hop/3"]); m1 = median(p50["hop/1"]); m3 = median(p50["hop/3"])
      printf "# cluster: light load N=60 at 50/s p50 %.2f / %.2f ms, p99 %.2f / %.2f ms one / three nodes (added p99 %.2f ms, goal <= 3 ms)\n", m1, m3, h1, h3, h3 - h1
      printf "#   p99 one:%s\n#   p99 three:%s\n", p99["hop/1"], p99["hop/3"]
      printf "# cluster: join N=3000 seconds median %.2f one node, %.2f three nodes\n", median(secs["join/1"]), median(secs["join/3"])
      printf "#   one:%s\n#   three:%s\n", secs["join/1"], secs["join/3"] }' "$out"
}
if [[ $mode == cluster ]]; then
  cluster_runs "${CLUSTER_REPS:-2}" "$@"
  exit 0
fi
if [[ $mode == uploads ]]; then
  uploads_runs "${UPLOADS_REPS:-3}" "$@"
  exit 0
fi
for n in 500 1000 2000 10000; do
  start_server "$@"; gen --scenario join --users $n --timeout 1200
done
start_server "$@"; gen --scenario fanout --users 1000 --duration 10 --timeout 300
start_server "$@"; gen --scenario fanout-open --users 1000 --rate 40 --duration 10 --timeout 300
# The same offered load with no server at all: the machine's floor for 1000 loopback sockets.
for w in 1 2; do "$build/floor" --users 1000 --rate 40 --duration 10 --writers $w; done
start_server "$@"; gen --scenario dm --users 1000 --pairs 50 --duration 10 --timeout 300
config=slow.toml; start_server "$@"; gen --scenario slow --users 1000 --duration 10 --timeout 300
config=settings.toml
start_server "$@"; gen --scenario idle --users 1000 --timeout 600
start_server "$@"; gen --scenario idle --users 10000 --timeout 1200
# Thread counts: the same fan-out with a few --workers / --io-threads combinations.
for threads in "1 1" "2 1" "1 2" "2 2"; do
  set -- $threads
  echo "# threads: --workers $1 --io-threads $2"
  start_server --workers "$1" --io-threads "$2"; gen --scenario fanout --users 1000 --duration 5 --timeout 300
  start_server --workers "$1" --io-threads "$2"; gen --scenario fanout-open --users 1000 --rate 40 --duration 5 --timeout 300
  start_server --workers "$1" --io-threads "$2"; gen --scenario join --users 2000 --timeout 300
done
echo "# relations on: fan-out N=1000 and join N=2000 with and without mutes and boots"
relations_runs 1 "${flags[@]+"${flags[@]}"}"
echo "# uploads in flight: lobby latency with no uploads and with 10 photo uploads in flight"
uploads_runs 1 "${flags[@]+"${flags[@]}"}"
