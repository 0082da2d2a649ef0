#!/usr/bin/env bash
# run-ws-bench.sh — WebSocket benchmark: bare libsoup echo vs algerd.
#
#   bench/run-ws-bench.sh [BUILD_DIR]        (default: build)
#
# Builds nothing. Uses BUILD_DIR/bench/bench-echo-server and
# BUILD_DIR/bench/bench-loadgen, and BUILD_DIR/src/server/algerd if it exists.
# For each server: loadgen rtt, loadgen handshake, and the idle test
# (IDLE_CONNS connections held open; server VmRSS delta per connection).
# Prints a table with algerd/echo ratios against the targets.
#
# Environment knobs (defaults in brackets):
#   DURATION [10] WARMUP [2]      seconds per measurement
#   CONNS [32]                    connections for rtt and handshake
#   IDLE_CONNS [1000]             connections for the idle test
#   RUN_WINDOWS [5]               runs: also report the rate in N equal parts
#   QUERY [username=admin&password=admin]
#   ALGERD_ARGS                   replace the algerd command line entirely;
#                                 @PORT@ and @STATE@ are substituted
#   ALGERD_EXTRA_ARGS             appended to the detected algerd arguments
#   LOADGEN_ARGS                  appended to every loadgen call (e.g. -v)
set -u

BUILD=${1:-build}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-32}
IDLE_CONNS=${IDLE_CONNS:-1000}
RUN_WINDOWS=${RUN_WINDOWS:-5}
QUERY=${QUERY:-username=admin&password=admin}
LOADGEN_ARGS=${LOADGEN_ARGS:-}

LOADGEN=$BUILD/bench/bench-loadgen
ECHO=$BUILD/bench/bench-echo-server
ALGERD=$BUILD/src/server/algerd
HERE=$(cd "$(dirname "$0")" && pwd)

for bin in "$LOADGEN" "$ECHO"; do
  if [ ! -x "$bin" ]; then
    echo "run-ws-bench: $bin not found; build first: meson setup $BUILD && ninja -C $BUILD" >&2
    exit 2
  fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/alger-ws-bench.XXXXXX")
PIDS=()

# shellcheck disable=SC2317  # invoked from the trap
cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null
  done
  for p in "${PIDS[@]}"; do
    # give each a moment to exit cleanly, then insist
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  PIDS=()
  rm -rf "$TMP" "${RUNS_STATE:-}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() {
  local p keep=()
  for p in "${PIDS[@]}"; do
    [ "$p" != "$1" ] && keep+=("$p")
  done
  PIDS=("${keep[@]}")
}

stop_pid() {
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 1 30); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  forget_pid "$1"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# a free port below the ephemeral range, so the loadgen's own client ports
# cannot collide with it
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    port_open "$p" || { echo "$p"; return 0; }
  done
  return 1
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
# thread_ticks PID -> one "name ticks" line per thread (user + system)
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    [ -r "$t/stat" ] && printf '%s %s\n' "$(tr ' ' '_' <"$t/comm")" \
      "$(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
  done 2>/dev/null
}
# thread_share BEFORE AFTER UNITS SCALE -> "name:cost,…" summed per thread
# name, as CPU seconds × SCALE per unit (SCALE 1000: ms, 1e6: µs)
thread_share() {
  local hz
  hz=$(getconf CLK_TCK)
  awk -v units="$3" -v scale="$4" -v hz="$hz" '
    NR == FNR { before[$1] += $2; next }
    { after[$1] += $2 }
    END {
      if (units <= 0) exit
      for (n in after) {
        c = (after[n] - before[n]) / hz * scale / units
        if (c > 0.0005 * (scale / 1000)) out = out sep n ":" sprintf("%.3g", c)
        sep = ","
      }
      print out
    }' "$1" "$2"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
now_s() { date +%s.%N; }

# run_load NAME PID PORT MODE -> prints the RESULT line plus server_cpu_pct
run_load() {
  local name=$1 pid=$2 port=$3 mode=$4 c0 c1 t0 t1 out hz
  hz=$(getconf CLK_TCK)
  c0=$(cpu_ticks "$pid"); t0=$(now_s); thread_ticks "$pid" >"$TMP/$name-$mode.t0"
  # shellcheck disable=SC2086
  out=$("$LOADGEN" --mode "$mode" --port "$port" --conns "$CONNS" \
          --duration "$DURATION" --warmup "$WARMUP" --query "$QUERY" $LOADGEN_ARGS \
          2>"$TMP/$name-$mode.err" | grep '^RESULT')
  c1=$(cpu_ticks "$pid"); t1=$(now_s); thread_ticks "$pid" >"$TMP/$name-$mode.t1"
  if [ -z "$out" ]; then
    echo "run-ws-bench: $name $mode: no result" >&2
    sed 's/^/    /' "$TMP/$name-$mode.err" >&2
    echo "RESULT mode=$mode failed=1"
    return
  fi
  # server CPU over warm-up + measurement, as % of one core
  # and per thread, in µs per round trip or handshake (warm-up included, so
  # the units are rate × (warm-up + duration))
  echo "$out server_cpu_pct=$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v hz="$hz" \
       'BEGIN { if (e > s && a != "" && b != "") printf "%.0f", 100 * (b - a) / hz / (e - s); else print "?" }')" \
       "thread_us=$(thread_share "$TMP/$name-$mode.t0" "$TMP/$name-$mode.t1" \
         "$(awk -v r="$(field "$out" rps)$(field "$out" hps)" -v d="$DURATION" -v w="$WARMUP" \
            'BEGIN { print r * (d + w) }')" 1000000)"
}

# run_idle NAME PID PORT -> "kb_per_conn ready before_kb after_kb"
run_idle() {
  local name=$1 pid=$2 port=$3 before after lp ready=0
  before=$(rss_kb "$pid")
  # shellcheck disable=SC2086
  "$LOADGEN" --mode idle --port "$port" --conns "$IDLE_CONNS" --query "$QUERY" \
    --timeout 60 $LOADGEN_ARGS >"$TMP/$name-idle.out" 2>"$TMP/$name-idle.err" &
  lp=$!
  PIDS+=("$lp")
  for _ in $(seq 1 700); do
    grep -q '^READY' "$TMP/$name-idle.out" 2>/dev/null && break
    kill -0 "$lp" 2>/dev/null || break
    sleep 0.1
  done
  ready=$(awk '/^READY/ {print $2}' "$TMP/$name-idle.out")
  sleep 1 # let the server finish whatever the upgrades queued
  after=$(rss_kb "$pid")
  stop_pid "$lp"
  if [ -z "$ready" ] || [ "$ready" -le 0 ] || [ -z "$before" ] || [ -z "$after" ]; then
    echo "run-ws-bench: $name idle: no connections held" >&2
    sed 's/^/    /' "$TMP/$name-idle.err" >&2
    echo "? 0 ${before:-?} ${after:-?}"
    return
  fi
  awk -v b="$before" -v a="$after" -v n="$ready" 'BEGIN { printf "%.1f %d %d %d\n", (a - b) / n, n, b, a }'
}

wait_port() { # PID PORT SECONDS
  for _ in $(seq 1 $(($3 * 10))); do
    port_open "$2" && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

declare -A R

bench_server() { # NAME PID PORT
  local name=$1 pid=$2 port=$3 line idle
  echo "== $name (pid $pid, port $port)" >&2
  line=$(run_load "$name" "$pid" "$port" rtt)
  echo "   $line" >&2
  R[$name.rps]=$(field "$line" rps); R[$name.p50]=$(field "$line" p50_us)
  R[$name.p99]=$(field "$line" p99_us); R[$name.p999]=$(field "$line" p999_us)
  R[$name.rtt_err]=$(field "$line" errors); R[$name.rtt_scpu]=$(field "$line" server_cpu_pct)
  R[$name.rtt_lcpu]=$(field "$line" cpu_pct); R[$name.rtt_threads]=$(field "$line" thread_us)
  line=$(run_load "$name" "$pid" "$port" handshake)
  echo "   $line" >&2
  R[$name.hps]=$(field "$line" hps); R[$name.hp99]=$(field "$line" p99_us)
  R[$name.hs_err]=$(field "$line" errors); R[$name.hs_scpu]=$(field "$line" server_cpu_pct)
  R[$name.hs_lcpu]=$(field "$line" cpu_pct)
  idle=$(run_idle "$name" "$pid" "$port")
  echo "   idle: kb_per_conn ready rss_before_kb rss_after_kb = $idle" >&2
  read -r "R[$name.kbconn]" "R[$name.idle_ready]" "R[$name.rss0]" "R[$name.rss1]" <<<"$idle"
}

# ---------------------------------------------------------------- echo
"$ECHO" --host 127.0.0.1 --port 0 >"$TMP/echo.out" 2>"$TMP/echo.err" &
EPID=$!
PIDS+=("$EPID")
EPORT=
for _ in $(seq 1 50); do
  EPORT=$(awk '/^LISTENING/ {print $3}' "$TMP/echo.out")
  [ -n "$EPORT" ] && break
  sleep 0.1
done
if [ -z "$EPORT" ]; then
  echo "run-ws-bench: bench-echo-server did not start" >&2
  cat "$TMP/echo.err" >&2
  exit 1
fi
bench_server echo "$EPID" "$EPORT"
stop_pid "$EPID"

# ---------------------------------------------------------------- algerd
HAVE_ALGERD=0
if [ -x "$ALGERD" ]; then
  APORT=$(free_port) || { echo "run-ws-bench: no free port" >&2; exit 1; }
  STATE=$TMP/algerd-state
  mkdir -p "$STATE" "$TMP/xdg-config" "$TMP/xdg-data" "$TMP/xdg-state" "$TMP/xdg-cache"
  if [ -n "${ALGERD_ARGS:-}" ]; then
    args=${ALGERD_ARGS//@PORT@/$APORT}
    args=${args//@STATE@/$STATE}
    # shellcheck disable=SC2206
    ACMD=("$ALGERD" $args)
  else
    help=$(timeout 5 "$ALGERD" --help-all 2>&1 || timeout 5 "$ALGERD" --help 2>&1)
    has() { grep -q -- "$1\b" <<<"$help"; }
    ACMD=("$ALGERD" --port "$APORT")
    for o in --state-dir --statedir --data-dir; do
      if has "$o"; then ACMD+=("$o" "$STATE"); break; fi
    done
    has --bus && ACMD+=(--bus=none)
    for o in --host --address --listen; do
      if has "$o"; then ACMD+=("$o" 127.0.0.1); break; fi
    done
    # the artifacts HTTP API is not measured here: 0 turns it off
    has --http-port && ACMD+=(--http-port 0)
    # shellcheck disable=SC2206
    ACMD+=(${ALGERD_EXTRA_ARGS:-})
  fi
  echo "== starting: ${ACMD[*]}" >&2
  XDG_CONFIG_HOME=$TMP/xdg-config XDG_DATA_HOME=$TMP/xdg-data \
  XDG_STATE_HOME=$TMP/xdg-state XDG_CACHE_HOME=$TMP/xdg-cache \
  ALGER_STATE_DIR=$STATE \
    "${ACMD[@]}" >"$TMP/algerd.out" 2>"$TMP/algerd.err" &
  APID=$!
  PIDS+=("$APID")
  if wait_port "$APID" "$APORT" 20; then
    bench_server algerd "$APID" "$APORT"
    HAVE_ALGERD=1
  else
    echo "run-ws-bench: algerd did not come up on port $APORT; its stderr:" >&2
    tail -n 20 "$TMP/algerd.err" >&2
  fi
  stop_pid "$APID"

  # executions: closed-loop 104 runs of the sample pipeline, max concurrency = cores
  CORES=$(nproc)
  RPORT=$(free_port) || { echo "run-ws-bench: no free port" >&2; exit 1; }
  # RUNS_STATE_PARENT: where the runs' state dir (database, tracked files) goes
  RUNS_STATE=$(mktemp -d "${RUNS_STATE_PARENT:-$TMP}/alger-runs-state.XXXXXX")
  "$ALGERD" --port "$RPORT" --host 127.0.0.1 --state-dir "$RUNS_STATE" --bus=none \
    --http-port 0 --max-concurrent "$CORES" --workers "$CORES" \
    >"$TMP/runs.out" 2>"$TMP/runs.err" &
  RPID=$!
  PIDS+=("$RPID")
  if wait_port "$RPID" "$RPORT" 20; then
    thread_ticks "$RPID" >"$TMP/runs.t0"
    "$LOADGEN" --mode run --port "$RPORT" --conns "$CORES" --duration "$DURATION" \
      --warmup "$WARMUP" --windows "$RUN_WINDOWS" --content-file "$HERE/sample-104.json" \
      $LOADGEN_ARGS >"$TMP/runs.lg" 2>/dev/null
    line=$(tail -n 1 "$TMP/runs.lg")
    R[runs.windows]=$(sed -n 's/^WINDOWS windows=//p' "$TMP/runs.lg")
    thread_ticks "$RPID" >"$TMP/runs.t1"
    R[runs.threads]=$(thread_share "$TMP/runs.t0" "$TMP/runs.t1" \
      "$(awk -v r="$(field "$line" runs_per_s)" -v d="$DURATION" -v w="$WARMUP" \
         'BEGIN { print r * (d + w) }')" 1000)
    echo "== runs: $line" >&2
    R[runs.rate]=$(field "$line" runs_per_s); R[runs.p50]=$(field "$line" p50_us)
    R[runs.p99]=$(field "$line" p99_us); R[runs.err]=$(field "$line" errors)
  fi
  stop_pid "$RPID"
else
  echo "== $ALGERD not built; echo figures only" >&2
fi

# ---------------------------------------------------------------- table
v() { local x=${R[$1]:-}; echo "${x:-—}"; }
ratio() { # A B -> A/B
  awk -v a="${R[$1]:-}" -v b="${R[$2]:-}" 'BEGIN {
    if (a == "" || b == "" || a == "?" || b == "?" || b + 0 == 0) print "—";
    else printf "%.2f×\n", a / b }'
}
verdict() { # VALUE OP LIMIT
  awk -v x="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (x == "" || x == "—") { print ""; exit }
    sub(/×$/, "", x);
    ok = (op == ">=") ? (x + 0 >= l + 0) : (x + 0 <= l + 0);
    print ok ? "ok" : "MISS" }'
}

echo
printf 'WebSocket benchmark (%s s per measurement, %s conns, %s idle conns, %s cores)\n' \
  "$DURATION" "$CONNS" "$IDLE_CONNS" "$(nproc)"
printf '%-22s %12s %12s %10s  %-16s %s\n' metric echo algerd ratio target ""
printf '%-22s %12s %12s %10s  %-16s %s\n' "round trips/s" "$(v echo.rps)" "$(v algerd.rps)" \
  "$(ratio algerd.rps echo.rps)" ">= 0.7× echo" "$(verdict "$(ratio algerd.rps echo.rps)" '>=' 0.7)"
printf '%-22s %12s %12s %10s  %-16s %s\n' "rtt p50 µs" "$(v echo.p50)" "$(v algerd.p50)" \
  "$(ratio algerd.p50 echo.p50)" "" ""
printf '%-22s %12s %12s %10s  %-16s %s\n' "rtt p99 µs" "$(v echo.p99)" "$(v algerd.p99)" \
  "$(ratio algerd.p99 echo.p99)" "<= 2× echo" "$(verdict "$(ratio algerd.p99 echo.p99)" '<=' 2)"
printf '%-22s %12s %12s %10s  %-16s %s\n' "rtt p999 µs" "$(v echo.p999)" "$(v algerd.p999)" \
  "$(ratio algerd.p999 echo.p999)" "" ""
printf '%-22s %12s %12s %10s  %-16s %s\n' "handshakes/s" "$(v echo.hps)" "$(v algerd.hps)" \
  "$(ratio algerd.hps echo.hps)" ">= 0.5× echo" "$(verdict "$(ratio algerd.hps echo.hps)" '>=' 0.5)"
printf '%-22s %12s %12s %10s  %-16s %s\n' "handshake p99 µs" "$(v echo.hp99)" "$(v algerd.hp99)" \
  "$(ratio algerd.hp99 echo.hp99)" "" ""
printf '%-22s %12s %12s %10s  %-16s %s\n' "idle KB/conn" "$(v echo.kbconn)" "$(v algerd.kbconn)" \
  "$(ratio algerd.kbconn echo.kbconn)" "<= 8 KB (algerd)" "$(verdict "$(v algerd.kbconn)" '<=' 8)"
printf '%-22s %12s %12s\n' "idle conns held" "$(v echo.idle_ready)" "$(v algerd.idle_ready)"
printf '%-22s %12s %12s\n' "errors rtt/handshake" "$(v echo.rtt_err)/$(v echo.hs_err)" \
  "$(v algerd.rtt_err)/$(v algerd.hs_err)"
printf '%-22s %12s %12s\n' "CPU% server rtt/hs" "$(v echo.rtt_scpu)/$(v echo.hs_scpu)" \
  "$(v algerd.rtt_scpu)/$(v algerd.hs_scpu)"
printf '%-22s %12s %12s\n' "CPU% loadgen rtt/hs" "$(v echo.rtt_lcpu)/$(v echo.hs_lcpu)" \
  "$(v algerd.rtt_lcpu)/$(v algerd.hs_lcpu)"
echo "CPU µs per round trip by thread (warm-up included): echo ${R[echo.rtt_threads]:-?}; algerd ${R[algerd.rtt_threads]:-?}"
printf '%-22s %12s %12s %10s  %-16s %s\n' "runs/s (104 sample)" "" "$(v runs.rate)" \
  "$(awk -v r="${R[runs.rate]:-0}" 'BEGIN { printf "%.1f×", r / 16 }')" ">= 50× original" \
  "$(verdict "$(awk -v r="${R[runs.rate]:-0}" 'BEGIN { print r / 16 }')" '>=' 50)"
printf '%-22s %12s %12s\n' "run p50/p99 µs" "" "$(v runs.p50)/$(v runs.p99)"
echo "runs/s in each fifth of the measurement: ${R[runs.windows]:-?}"
echo "CPU ms per run by thread (warm-up included): ${R[runs.threads]:-?}"
echo "(runs/s ratio is against the original's 16 runs/s measured on this machine kind, not in this run)"
[ "$HAVE_ALGERD" = 1 ] || echo "(algerd columns empty: $ALGERD not built or did not start)"
exit 0
