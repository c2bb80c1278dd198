#!/usr/bin/env bash
# Console throughput against xterm.js: our parse+render (benches/term_throughput.rs,
# criterion, release) and @xterm/headless parse on the same deterministic 32 MiB stream.
# Ours draws at the app's frame cap (60 fps); the figure with a frame every 64 KiB is
# printed too.
# Prints both medians (MiB/s) and the ratio; exits 1 when ours is below 1.5x xterm.js.
set -euo pipefail
cd "$(dirname "$0")/.."

BUDGET=${BENCH_TERM_BUDGET:-1.5}
OUT=target/bench-term
mkdir -p "$OUT"
STREAM="$OUT/stream.bin"

echo "== ours: cargo bench --bench term_throughput"
BENCH_TERM_STREAM_OUT="$STREAM" cargo bench --bench term_throughput 2>&1 | tee "$OUT/rust.txt"
# criterion prints "term/NAME  time: [...]" then "thrpt:  [low median high]" with units such
# as MiB/s or GiB/s; a later "thrpt:" line under "change:" holds percentages against the
# previous run, so only the first one after each name counts.
median() {
  awk -v want="term/$1" '
    $1 == want { on = 1 }
    on && /thrpt:/ {
      gsub(/[\[\]]/, "");
      for (i = 1; i <= NF; i++) if ($i == "thrpt:") { v = $(i + 3); u = $(i + 4) }
      if (u == "GiB/s") v *= 1024; else if (u == "KiB/s") v /= 1024; else if (u == "B/s") v /= 1048576;
      print v; exit
    }' "$OUT/rust.txt"
}
ours=$(median parse_render_60fps)
ours_64k=$(median parse_render_every_64k)
[ -n "$ours" ] && [ -n "$ours_64k" ] || { echo "could not read the criterion medians" >&2; exit 1; }

echo "== xterm.js: @xterm/headless"
if [ ! -d scripts/bench-term/node_modules/@xterm/headless ]; then
  npm install --prefix scripts/bench-term --no-audit --no-fund @xterm/headless >/dev/null
fi
xterm_line=$(node scripts/bench-term/bench.mjs "$STREAM" 9)
xterm=${xterm_line#xterm_median_mibs=}

ratio=$(awk -v a="$ours" -v b="$xterm" 'BEGIN { printf "%.2f", a / b }')
ratio_64k=$(awk -v a="$ours_64k" -v b="$xterm" 'BEGIN { printf "%.2f", a / b }')
echo
echo "stream:   $(stat -c %s "$STREAM") bytes, 160x45"
echo "ours:     ${ours} MiB/s (median, parse + render at the app's 60 fps frame cap)"
echo "          ${ours_64k} MiB/s (median, parse + render of a frame every 64 KiB), ${ratio_64k}x"
echo "xterm.js: ${xterm} MiB/s (median, parse only)"
echo "ratio:    ${ratio}x (budget >= ${BUDGET}x)"
if awk -v r="$ratio" -v b="$BUDGET" 'BEGIN { exit !(r >= b) }'; then
  echo "PASS"
else
  echo "FAIL: below budget"
  exit 1
fi
