// Benchmark: replay file parse rate and replay generate rate.
//   node tests/policy/bench-replay.ts [LINES=200000] [K=4]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReplayPolicy, readReplayFile } from "../../harness/policy/replay.ts";
import type { GenerateRequest } from "../../harness/policy/types.ts";

const lines = Number(process.argv[2] ?? 200_000);
const K = Number(process.argv[3] ?? 4);
const dir = mkdtempSync(join(tmpdir(), "arbiter-bench-replay-"));
const path = join(dir, "replay.jsonl");
const parts: string[] = [];
for (let i = 0; i < lines; i++) {
  const item = Math.floor(i / K);
  parts.push(JSON.stringify({ item: { id: `item-${item}`, input: `What is ${item} + ${item}?`, reference: String(2 * item) }, sample: { output_text: `The answer is ${2 * item + (i % K === 0 ? 0 : 1)}.` } }));
}
writeFileSync(path, parts.join("\n") + "\n");

// Baseline on this machine right now: JSON.parse of every line, nothing else.
let t = performance.now();
for (const line of parts) JSON.parse(line);
const baseS = (performance.now() - t) / 1000;

// First pass is cold (JIT warm-up, page cache); the best of three more is the steady state.
const parseS: number[] = [];
let items: Awaited<ReturnType<typeof readReplayFile>> = [];
for (let rep = 0; rep < 4; rep++) {
  t = performance.now();
  items = await readReplayFile(path);
  parseS.push((performance.now() - t) / 1000);
}

const policy = new ReplayPolicy(items);
const requests: GenerateRequest[] = items.map((it) => ({ itemId: it.id, prompt: "", n: it.outputs.length, params: {} }));
t = performance.now();
let samples = 0;
for (let b = 0; b < requests.length; b += 256) {
  for (const group of await policy.generate(requests.slice(b, b + 256))) samples += group.length;
}
const genS = (performance.now() - t) / 1000;
rmSync(dir, { recursive: true, force: true });

console.log(`baseline JSON.parse: ${Math.round(lines / baseS).toLocaleString("en")} lines/s`);
const rate = (sec: number) => Math.round(lines / sec).toLocaleString("en");
const warm = Math.min(...parseS.slice(1));
console.log(`replay parse:    ${lines} lines; cold ${parseS[0]!.toFixed(3)} s = ${rate(parseS[0]!)} lines/s; warm ${warm.toFixed(3)} s = ${rate(warm)} lines/s`);
console.log(`replay generate: ${samples} samples in ${genS.toFixed(3)} s = ${Math.round(samples / genS).toLocaleString("en")} samples/s`);
