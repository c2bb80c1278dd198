#!/usr/bin/env bash
# CPU used while idle with the rack open (budget: under 1% of one core), and redraws while idle.
# Runs `proximity demo` in a real terminal (tmux, 160x45) for IDLE_S seconds (default 30) and
# reads utime+stime from /proc; the peer in the same run is htop, another full-screen TUI left
# idle, at the same 5 s refresh interval as proximity (`htop -d 50`; also measured at its
# default 1.5 s for reference). Redraw counts come from the log line proximity writes at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux; }
command -v htop >/dev/null || { apt-get update -qq && apt-get install -y -qq htop; }
cargo build --release --quiet
IDLE_S=${IDLE_S:-30}
HOME_DIR=$(mktemp -d)
TCK=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

measure() { # name, command -> prints "name cpu%"
  local name=$1 cmd=$2
  tmux kill-session -t idlebench 2>/dev/null || true
  tmux new -d -s idlebench -x 160 -y 45 "$cmd"
  sleep 4 # start-up and first refresh are not idle
  local pid
  pid=$(pgrep -n -f "$3")
  local t0 c0 t1 c1
  t0=$(date +%s.%N); c0=$(cpu_ticks "$pid")
  sleep "$IDLE_S"
  t1=$(date +%s.%N); c1=$(cpu_ticks "$pid")
  tmux send-keys -t idlebench q
  sleep 1
  tmux kill-session -t idlebench 2>/dev/null || true
  python3 -c "import sys; c=(int(sys.argv[2])-int(sys.argv[1]))/int(sys.argv[3]); w=float(sys.argv[5])-float(sys.argv[4]); print(f'{sys.argv[6]:28s} {100*c/w:6.2f}% of one core over {w:.0f} s')" \
    "$c0" "$c1" "$TCK" "$t0" "$t1" "$name"
}

measure "proximity demo (rack idle)" "PROXIMITY_HOME=$HOME_DIR target/release/proximity demo" "target/release/proximity demo"
measure "peer: htop -d 50 (5 s, idle)" "htop -d 50" "^htop"
measure "htop default (1.5 s, idle)" "htop" "^htop"
grep "ui stats at exit" "$HOME_DIR/state/proximity.log" | tail -1 | sed 's/.*ui stats/proximity ui stats/'
echo "(the demo refreshes every 5 s; each refresh brings new usage figures and costs one redraw)"
