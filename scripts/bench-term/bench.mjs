// xterm.js side of scripts/bench-term.sh: parse the same byte stream as our Rust bench
// with @xterm/headless (160x45, 5,000 lines of scrollback) and print the median MiB/s.
// The stream is written in 16 KiB Uint8Array chunks, as data arrives from a socket; we
// await the callback of the last write, which fires once xterm.js has parsed everything
// (awaiting every chunk would add a timer tick per chunk and understate xterm.js).
import { readFileSync } from 'node:fs';
import headless from '@xterm/headless';

const { Terminal } = headless;
const path = process.argv[2];
const runs = Number(process.argv[3] ?? 5);
if (!path) {
  console.error('usage: node bench.mjs STREAM [RUNS]');
  process.exit(2);
}
const data = new Uint8Array(readFileSync(path));
const CHUNK = 16 << 10;

async function once() {
  const term = new Terminal({ cols: 160, rows: 45, scrollback: 5000, allowProposedApi: true });
  const start = process.hrtime.bigint();
  await new Promise((resolve) => {
    for (let off = 0; off < data.length; off += CHUNK) {
      const last = off + CHUNK >= data.length;
      term.write(data.subarray(off, off + CHUNK), last ? resolve : undefined);
    }
  });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  // Read the screen back so the work cannot be skipped.
  const line = term.buffer.active.getLine(0)?.translateToString(true) ?? '';
  term.dispose();
  return { mibs: data.length / (1 << 20) / secs, line };
}

// Warm-up: xterm.js's speed climbs over the first runs as V8 optimizes it (seen here:
// 33 MiB/s on the first measured run, 53 on the fourth), so give it three.
for (let i = 0; i < 3; i++) await once();
const results = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r.mibs);
  console.error(`xterm.js run ${i + 1}: ${r.mibs.toFixed(1)} MiB/s`);
}
results.sort((a, b) => a - b);
const median = results[Math.floor(results.length / 2)];
console.log(`xterm_median_mibs=${median.toFixed(2)}`);
