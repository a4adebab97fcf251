// The contract every Engine passes (trainer/engine/protocol.ts). Call engineContract from a
// *.test.ts file:  engineContract("tabular", () => Promise.resolve(new TabularEngine(spec)))
// make() must return a fresh engine with the SAME initial parameters every time (the
// accumulation and save/load tests compare two engines step for step).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ENGINE_PROTOCOL_VERSION,
  EngineError,
  type Engine,
  type SampledSequence,
  type Sequence,
} from "../../trainer/engine/protocol.ts";

export interface EngineContractOptions {
  /** Prompts (token ids) the engine accepts. Default [[0], [1]]. */
  prompts?: number[][];
  /** Completion budget for sampling. Default 4. */
  maxTokens?: number;
  /** Learning rate of the training-direction tests; large enough to move log-probs visibly. */
  learningRate?: number;
  /** Absolute tolerance when two log-probs must agree (sampler vs logprobs(), save/load,
   *  accumulated vs concatenated). Default 1e-5. */
  tolerance?: number;
  /** Timeout per test in ms. Default 60 s. */
  timeoutMs?: number;
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  a.forEach((row, i) => {
    const other = b[i] ?? [];
    expect(row.length).toBe(other.length);
    row.forEach((x, t) => (m = Math.max(m, Math.abs(x - (other[t] ?? NaN)))));
  });
  return m;
}

const seqOf = (s: SampledSequence): Sequence => ({ prompt: s.prompt, completion: s.completion });
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function expectEngineError(p: Promise<unknown>, code: string): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, "expected the call to reject").toBeInstanceOf(EngineError);
  expect((err as EngineError).code).toBe(code);
  expect((err as EngineError).message.length).toBeGreaterThan(0);
}

export function engineContract(
  name: string,
  make: () => Promise<Engine>,
  opts: EngineContractOptions = {},
): void {
  const prompts = opts.prompts ?? [[0], [1]];
  const maxTokens = opts.maxTokens ?? 4;
  const lr = opts.learningRate ?? 0.1;
  const tol = opts.tolerance ?? 1e-5;
  const timeout = opts.timeoutMs ?? 60_000;
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), "arbiter-engine-contract-"));
    dirs.push(d);
    return d;
  };
  /** Runs body with fresh engines and closes them whatever happens. */
  const withEngines = async (count: number, body: (...es: Engine[]) => Promise<void>) => {
    const es: Engine[] = [];
    try {
      for (let i = 0; i < count; i++) es.push(await make());
      await body(...es);
    } finally {
      for (const e of es) await e.close();
    }
  };
  /** One sampled sequence per prompt, fixed seed: the batch the training tests use. */
  const batchFrom = async (e: Engine, seed = 7): Promise<Sequence[]> =>
    (await e.sample(prompts, 1, { maxTokens, seed, temperature: 1 })).map((g) => seqOf(g[0]!));

  describe(`Engine contract: ${name}`, () => {
    afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

    it("describes itself", { timeout }, () =>
      withEngines(1, async (e) => {
        expect(typeof e.info.name).toBe("string");
        expect(e.info.protocolVersion).toBe(ENGINE_PROTOCOL_VERSION);
        expect(Number.isInteger(e.info.vocabSize) && e.info.vocabSize > 0).toBe(true);
      }));

    it("samples n completions per prompt with aligned logprobs", { timeout }, () =>
      withEngines(1, async (e) => {
        const out = await e.sample(prompts, 3, { maxTokens, seed: 1 });
        expect(out.length).toBe(prompts.length);
        out.forEach((group, i) => {
          expect(group.length).toBe(3);
          for (const s of group) {
            expect(s.prompt).toEqual(prompts[i]);
            expect(s.completion.length).toBeGreaterThan(0);
            expect(s.completion.length).toBeLessThanOrEqual(maxTokens);
            expect(s.logprobs.length).toBe(s.completion.length);
            for (const tok of s.completion) {
              expect(Number.isInteger(tok) && tok >= 0 && tok < e.info.vocabSize).toBe(true);
            }
            for (const lp of s.logprobs) expect(Number.isFinite(lp) && lp <= 1e-6).toBe(true);
            if (s.finishReason === "length") expect(s.completion.length).toBe(maxTokens);
          }
        });
      }));

    it("returns logprobs shaped like the batch, agreeing with sampling on-policy", { timeout }, () =>
      withEngines(1, async (e) => {
        const sampled = (await e.sample(prompts, 2, { maxTokens, seed: 3, temperature: 1 })).flat();
        const lps = await e.logprobs(sampled.map(seqOf));
        expect(lps.map((r) => r.length)).toEqual(sampled.map((s) => s.completion.length));
        expect(maxAbsDiff(lps, sampled.map((s) => s.logprobs))).toBeLessThanOrEqual(tol);
      }));

    it("is reproducible: the same seed gives the same samples", { timeout }, () =>
      withEngines(2, async (a, b) => {
        const p = { maxTokens, seed: 42, temperature: 1 };
        const x = await a.sample(prompts, 4, p);
        const y = await a.sample(prompts, 4, p);
        const z = await b.sample(prompts, 4, p);
        const strip = (g: SampledSequence[][]) => g.map((r) => r.map((s) => s.completion));
        expect(strip(y)).toEqual(strip(x));
        expect(strip(z)).toEqual(strip(x));
      }));

    it("forwardBackward returns the current logprobs", { timeout }, () =>
      withEngines(1, async (e) => {
        const batch = await batchFrom(e);
        const lps = await e.logprobs(batch);
        const fb = await e.forwardBackward(batch, batch.map((s) => s.completion.map(() => 0)));
        expect(maxAbsDiff(fb.logprobs, lps)).toBeLessThanOrEqual(tol);
        await e.optimStep({ learningRate: lr });
      }));

    it("a positive weight raises a sequence's log-prob, a negative one lowers it", { timeout }, () =>
      withEngines(2, async (up, down) => {
        const batch = (await batchFrom(up)).slice(0, 1);
        const before = sum((await up.logprobs(batch))[0]!);
        await up.forwardBackward(batch, [batch[0]!.completion.map(() => 1)]);
        const r = await up.optimStep({ learningRate: lr });
        expect(r.gradNorm).toBeGreaterThan(0);
        await down.forwardBackward(batch, [batch[0]!.completion.map(() => -1)]);
        await down.optimStep({ learningRate: lr });
        const afterUp = sum((await up.logprobs(batch))[0]!);
        const afterDown = sum((await down.logprobs(batch))[0]!);
        expect(afterUp).toBeGreaterThan(before + tol);
        expect(afterDown).toBeLessThan(before - tol);
      }));

    it("accumulates gradients across calls exactly as one call on the concatenation", { timeout }, () =>
      withEngines(2, async (split, whole) => {
        const batch = await batchFrom(split);
        const w = batch.map((s, i) => s.completion.map((_, t) => (i % 2 === 0 ? 1 : -0.5) * (t + 1)));
        const half = Math.max(1, Math.floor(batch.length / 2));
        await split.forwardBackward(batch.slice(0, half), w.slice(0, half));
        await split.forwardBackward(batch.slice(half), w.slice(half));
        const g1 = await split.optimStep({ learningRate: lr });
        await whole.forwardBackward(batch, w);
        const g2 = await whole.optimStep({ learningRate: lr });
        expect(Math.abs(g1.gradNorm - g2.gradNorm)).toBeLessThanOrEqual(tol * Math.max(1, g2.gradNorm));
        expect(maxAbsDiff(await split.logprobs(batch), await whole.logprobs(batch))).toBeLessThanOrEqual(tol);
      }));

    it("optimStep zeroes the gradient buffer", { timeout }, () =>
      withEngines(1, async (e) => {
        const batch = await batchFrom(e);
        await e.forwardBackward(batch, batch.map((s) => s.completion.map(() => 1)));
        await e.optimStep({ learningRate: lr });
        const r = await e.optimStep({ learningRate: lr });
        expect(r.gradNorm).toBe(0);
      }));

    it("save/load round-trips weights, optimiser state and RNG exactly", { timeout }, () =>
      withEngines(2, async (a, b) => {
        const batch = await batchFrom(a);
        const w = batch.map((s) => s.completion.map(() => 1));
        await a.forwardBackward(batch, w);
        await a.optimStep({ learningRate: lr });
        await a.sample(prompts, 2, { maxTokens }); // advance the unseeded RNG past its initial state
        const dir = tmp();
        await a.save(dir);
        await b.load(dir);
        expect(maxAbsDiff(await b.logprobs(batch), await a.logprobs(batch))).toBeLessThanOrEqual(tol);
        // Unseeded sampling continues the saved RNG stream.
        const sa = await a.sample(prompts, 3, { maxTokens });
        const sb = await b.sample(prompts, 3, { maxTokens });
        expect(sb.map((g) => g.map((s) => s.completion))).toEqual(sa.map((g) => g.map((s) => s.completion)));
        // The next step after load equals the next step without save/load (Adam moments, step t).
        const w2 = batch.map((s) => s.completion.map(() => -0.5));
        for (const e of [a, b]) {
          await e.forwardBackward(batch, w2);
          await e.optimStep({ learningRate: lr });
        }
        expect(maxAbsDiff(await b.logprobs(batch), await a.logprobs(batch))).toBeLessThanOrEqual(tol);
      }));

    it("rejects invalid requests with EngineError invalid_request", { timeout }, () =>
      withEngines(1, async (e) => {
        const batch = await batchFrom(e);
        const good = batch[0]!;
        const V = e.info.vocabSize;
        await expectEngineError(e.logprobs([{ prompt: good.prompt, completion: [V] }]), "invalid_request");
        await expectEngineError(e.logprobs([{ prompt: good.prompt, completion: [-1] }]), "invalid_request");
        await expectEngineError(
          e.forwardBackward([good], [good.completion.map(() => 1), [1]]),
          "invalid_request",
        );
        await expectEngineError(e.forwardBackward([good], [[...good.completion, 0].map(() => 1)]), "invalid_request");
        await expectEngineError(e.forwardBackward([good], [good.completion.map(() => NaN)]), "invalid_request");
        await expectEngineError(e.sample(prompts, 0, { maxTokens }), "invalid_request");
        // A rejected request leaves the engine usable.
        expect((await e.logprobs([good]))[0]!.length).toBe(good.completion.length);
      }));

    it("close() is idempotent", { timeout }, async () => {
      const e = await make();
      await e.close();
      await e.close();
    });
  });
}
