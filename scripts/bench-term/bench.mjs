// xterm.js side of scripts/bench-term.sh: parse the same byte stream as our Rust bench
// with @xterm/headless (160x45, 5,000 lines of scrollback) and print the median MiB/s.
// The stream is fed in 16 KiB Uint8Array chunks, as data arrives from a socket.
//
// The figure compared is xterm.js's parse alone: each chunk goes through the core's
// `writeSync`, which parses at once. The public `write` queues into a write buffer that
// parses in time slices and yields to the event loop between them (so a browser stays
// responsive); those pauses are not parsing, and timing through them understated xterm.js.
// The buffered figure is printed too, for reference.
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

async function once(buffered) {
  const term = new Terminal({ cols: 160, rows: 45, scrollback: 5000, allowProposedApi: true });
  const start = process.hrtime.bigint();
  if (buffered) {
    await new Promise((resolve) => {
      for (let off = 0; off < data.length; off += CHUNK) {
        const last = off + CHUNK >= data.length;
        term.write(data.subarray(off, off + CHUNK), last ? resolve : undefined);
      }
    });
  } else {
    for (let off = 0; off < data.length; off += CHUNK) {
      term._core.writeSync(data.subarray(off, off + CHUNK));
    }
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  // Read the screen back so the work cannot be skipped.
  const line = term.buffer.active.getLine(0)?.translateToString(true) ?? '';
  term.dispose();
  return { mibs: data.length / (1 << 20) / secs, line };
}

// Warm-up: xterm.js's speed climbs over the first runs as V8 optimizes it (seen here:
// 33 MiB/s on the first measured run, 53 on the fourth), so give it three.
for (let i = 0; i < 3; i++) await once(false);
const medianOf = async (buffered) => {
  const results = [];
  for (let i = 0; i < runs; i++) {
    const r = await once(buffered);
    results.push(r.mibs);
    console.error(`xterm.js ${buffered ? 'buffered' : 'parse'} run ${i + 1}: ${r.mibs.toFixed(1)} MiB/s`);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(results.length / 2)];
};
const parse = await medianOf(false);
const buffered = await medianOf(true);
console.error(`xterm.js through its write buffer (reference): ${buffered.toFixed(2)} MiB/s`);
console.log(`xterm_median_mibs=${parse.toFixed(2)}`);
