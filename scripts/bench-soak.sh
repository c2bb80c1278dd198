#!/usr/bin/env bash
# Soak test of the open rack at scale: memory, CPU and store size over time.
#
# Starts `proximity sim --nodes 50 --guests 10000` on 127.0.0.1:0, runs the TUI against it in a
# real terminal (tmux, 160x45) for SOAK_SECONDS (default 600), and every SAMPLE_S seconds
# (default 10), after WARMUP_S (default 5) of start-up, reads the TUI's RSS (VmRSS in /proc/PID/status), its CPU (utime+stime in
# /proc/PID/stat) and the size of its data dir's store (`du` of data/store and data/cache).
# Prints one table row per sample and a summary: start/peak/end RSS, growth, average CPU % of
# one core (first sample to last: start-up is left out) and store size at start and end.
# The budgets (issue #11) are RSS <= 30 MB flat over 10 minutes, idle CPU < 1% of a core, and
# a store whose size stays bounded; the script reports, it does not judge.
#
#   scripts/bench-soak.sh                 # 10 minutes
#   SOAK_SECONDS=60 scripts/bench-soak.sh # a quick look
#   BIN=/tmp/proximity-old SOAK_NO_BUILD=1 scripts/bench-soak.sh   # another build
#   SOAK_ENV='MALLOC_ARENA_MAX=1' scripts/bench-soak.sh              # extra env for the TUI
#
# Runs from the repo root (it cds there). Everything stays on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux; }
SOAK_SECONDS=${SOAK_SECONDS:-600}
SAMPLE_S=${SAMPLE_S:-10}
NODES=${NODES:-50}
GUESTS=${GUESTS:-10000}
BIN=${BIN:-target/release/proximity}
if [ -z "${SOAK_NO_BUILD:-}" ] && [ "$BIN" = target/release/proximity ]; then
  cargo build --release --quiet
fi
BIN=$(realpath "$BIN")
TCK=$(getconf CLK_TCK)
SESSION=soak$$
HOME_DIR=$(mktemp -d)
fifo=$(mktemp -u)
mkfifo "$fifo"

"$BIN" sim --listen 127.0.0.1:0 --nodes "$NODES" --guests "$GUESTS" --auth-failure-delay-ms 0 >"$fifo" &
SIM=$!
cleanup() {
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  kill "$SIM" 2>/dev/null || true
  rm -f "$fifo"
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT
read -r line <"$fifo"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]] or "")' "$line" "$1"; }
url=$(field url)
token=$(field token)
fp=$(field fingerprint)

# The TUI with the environment's endpoint and a private data dir (PROXIMITY_HOME).
tmux new -d -s "$SESSION" -x 160 -y 45 \
  "${SOAK_ENV:-} PROXIMITY_HOME=$HOME_DIR PROXIMITY_URL=$url PROXIMITY_TOKEN='$token' PROXIMITY_FINGERPRINT=$fp exec $BIN"
PID=""
for _ in $(seq 1 50); do
  PID=$(tmux list-panes -t "$SESSION" -F '#{pane_pid}' 2>/dev/null | head -1)
  [ -n "$PID" ] && [ -r "/proc/$PID/stat" ] && break
  sleep 0.1
done
[ -n "$PID" ] || { echo "the TUI did not start" >&2; exit 1; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
store_kb() {
  local total=0 d
  for d in "$HOME_DIR/data/store" "$HOME_DIR/data/cache"; do
    [ -d "$d" ] && total=$((total + $(du -sk "$d" | cut -f1)))
  done
  echo "$total"
}

# Start-up (login, first fetch and draw) is not what a soak measures.
sleep "${WARMUP_S:-5}"
echo "proximity TUI (pid $PID) against sim: $NODES nodes, $GUESTS guests; ${SOAK_SECONDS} s, a sample every ${SAMPLE_S} s"
printf '%8s %10s %10s %12s\n' "t (s)" "RSS (MB)" "CPU %" "store (MB)"
rows=$(mktemp)
t_start=$(date +%s.%N)
c_prev=$(cpu_ticks)
t_prev=$t_start
elapsed=0
while :; do
  now=$(date +%s.%N)
  [ -r "/proc/$PID/stat" ] || { echo "the TUI exited early" >&2; exit 1; }
  c_now=$(cpu_ticks)
  row=$(python3 -c '
import sys
t0, tp, tn, cp, cn, tck, rss, store = map(float, sys.argv[1:9])
cpu = f"{100 * (cn - cp) / tck / (tn - tp):.2f}" if tn - tp > 0.5 else "-"
print(f"{tn - t0:.0f} {rss / 1024:.1f} {cpu} {store / 1024:.1f} {cn:.0f}")
' "$t_start" "$t_prev" "$now" "$c_prev" "$c_now" "$TCK" "$(rss_kb)" "$(store_kb)")
  echo "$row" >>"$rows"
  printf '%8s %10s %10s %12s\n' $(echo "$row" | cut -d' ' -f1-4)
  c_prev=$c_now
  t_prev=$now
  elapsed=$(python3 -c "print(int(float('$now') - float('$t_start')))")
  [ "$elapsed" -ge "$SOAK_SECONDS" ] && break
  sleep "$SAMPLE_S"
done
tmux send-keys -t "$SESSION" q
sleep 1

python3 - "$rows" "$TCK" <<'PY'
import sys
rows = [[float(x) if x != "-" else 0.0 for x in l.split()] for l in open(sys.argv[1]) if l.strip()]
tck = float(sys.argv[2])
t = [r[0] for r in rows]; rss = [r[1] for r in rows]; store = [r[3] for r in rows]; ticks = [r[4] for r in rows]
span = t[-1] - t[0]
avg_cpu = 100 * (ticks[-1] - ticks[0]) / tck / span if span > 0 else 0.0
print()
print(f"summary over {span:.0f} s:")
print(f"  RSS   start {rss[0]:.1f} MB   peak {max(rss):.1f} MB   end {rss[-1]:.1f} MB   growth {rss[-1] - rss[0]:+.1f} MB   (budget <= 30 MB, flat)")
print(f"  CPU   average {avg_cpu:.2f}% of one core   (budget < 1%)")
print(f"  store start {store[0]:.1f} MB   end {store[-1]:.1f} MB   (budget: bounded, about one inventory)")
PY
rm -f "$rows"
