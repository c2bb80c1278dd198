#!/usr/bin/env bash
# One full `proximity ls` against `proximity sim --guests 10000`, side by side with a peer in the
# same run: curl fetching the same /cluster/resources body (the network + server floor any
# client pays). Prints hyperfine's medians; the ratio is ours / curl.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl; }
cargo build --release --quiet
BIN=target/release/proximity
GUESTS=${GUESTS:-10000}
fifo=$(mktemp -u); mkfifo "$fifo"
"$BIN" sim --listen 127.0.0.1:0 --nodes 50 --guests "$GUESTS" --auth-failure-delay-ms 0 >"$fifo" &
SIM=$!
trap 'kill $SIM 2>/dev/null; rm -f "$fifo"' EXIT
read -r line <"$fifo"
url=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["url"])' "$line")
token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$line")
fp=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["fingerprint"] or "")' "$line")
export PROXIMITY_URL="$url" PROXIMITY_TOKEN="$token" PROXIMITY_FINGERPRINT="$fp"
export PROXIMITY_HOME=$(mktemp -d)
echo "guests: $("$BIN" ls --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
hyperfine --warmup 3 --runs ${RUNS:-30} --export-json /tmp/bench-ls.json \
  -n "proximity ls ($GUESTS guests)" "$BIN ls" \
  -n "proximity ls --json" "$BIN ls --json" \
  -n "peer: curl /cluster/resources" "curl -sk -H 'Authorization: PVEAPIToken=$token' $url/api2/json/cluster/resources -o /dev/null" \
  -n "peer: curl --compressed (gzip, as proximity asks)" "curl -sk --compressed -H 'Authorization: PVEAPIToken=$token' $url/api2/json/cluster/resources -o /dev/null"
python3 - <<'PY'
import json
r = json.load(open('/tmp/bench-ls.json'))['results']
med = {x['command']: x['median'] for x in r}
peer = [v for k, v in med.items() if k.startswith('peer: curl --compressed')][0]
for k, v in med.items():
    print(f"{k:40s} median {v*1000:8.1f} ms   ratio vs curl --compressed {v/peer:5.2f}x")
PY
