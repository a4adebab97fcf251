// Throughput of the JS grader pool for a trivial grader. Prints verdicts/s for
// (a) every call issued at once, (b) a sliding window of concurrent calls (how a run drives it).
// Usage: node scripts/bench-js-grader.ts [calls=200000] [workers=cores] [window=4096]
import { availableParallelism } from "node:os";
import { JsGrader, jsGraderSchema } from "../verifiers/js-grader.ts";
import type { VerifyContext } from "../verifiers/types.ts";

const calls = Number(process.argv[2] ?? 200_000);
const workers = Number(process.argv[3] ?? availableParallelism());
const window = Number(process.argv[4] ?? 4096);

const g = new JsGrader(jsGraderSchema.parse({
  workers,
  source: `function grade(sample, item) { return sample.output_text === item.reference ? 1 : 0; }`,
}));
const t0 = performance.now();
await g.pool.start();
console.log(`pool start: ${workers} workers in ${(performance.now() - t0).toFixed(0)} ms`);

const ctx = (i: number): VerifyContext => ({ sample: { id: `s${i}`, reference: String(i % 10) }, output: String(i % 7) });
const expected = (i: number): number => (i % 10 === i % 7 ? 1 : 0);

async function allAtOnce(n: number): Promise<number> {
  const t = performance.now();
  const vs = await Promise.all(Array.from({ length: n }, (_, i) => g.verify(ctx(i))));
  const s = (performance.now() - t) / 1000;
  vs.forEach((v, i) => { if (v.reward !== expected(i)) throw new Error(`wrong verdict for call ${i}`); });
  return n / s;
}

async function sliding(n: number, w: number): Promise<number> {
  const t = performance.now();
  let next = 0;
  async function lane(): Promise<void> {
    while (next < n) {
      const i = next++;
      const v = await g.verify(ctx(i));
      if (v.reward !== expected(i)) throw new Error(`wrong verdict for call ${i}`);
    }
  }
  await Promise.all(Array.from({ length: w }, lane));
  return n / ((performance.now() - t) / 1000);
}

await allAtOnce(10_000); // warm-up
const a = await allAtOnce(calls);
const b = await sliding(calls, window);
console.log(`all at once:      ${calls} calls, ${a.toFixed(0)} verdicts/s`);
console.log(`sliding window ${window}: ${calls} calls, ${b.toFixed(0)} verdicts/s`);
console.log(`batches sent: ${g.pool.stats.batches}, workers spawned: ${g.pool.stats.spawned}`);
console.log(`target >= 20000 verdicts/s: ${Math.min(a, b) >= 20_000 ? "met" : "NOT met"}`);
await g.close();
