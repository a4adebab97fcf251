// One contract suite run against every Policy (replay, openai-compatible, local). Call
// `policyContract` inside a test file; it declares its own describe block.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prompt, SamplingParams } from "../../tasks/types.ts";
import type { GenerateRequest, Policy } from "../../harness/policy/types.ts";

export interface PolicyContractOptions {
  /** Prompts keyed by item id that the policy can answer (replay needs ids it knows). */
  items: { itemId: string; prompt: Prompt }[];
  /** Params that sample (temperature > 0) with a seed slot the contract fills in. */
  sampled: SamplingParams;
  /** Largest n an item supports (replay is bounded by the file); default 3. */
  maxN?: number;
  /** True when different seeds should give different outputs (not replay). */
  seedSensitive?: boolean;
  /** Requests that take long enough (≥ ~100 ms) to abort midway; omit when the policy is instant. */
  slowRequests?: GenerateRequest[];
}

export function policyContract(name: string, makePolicy: () => Promise<Policy>, opts: PolicyContractOptions): void {
  describe(`Policy contract: ${name}`, () => {
    let policy: Policy;
    beforeAll(async () => {
      policy = await makePolicy();
    });
    afterAll(async () => {
      await policy?.close?.();
    });

    const maxN = opts.maxN ?? 3;
    const requests = (seed: number): GenerateRequest[] =>
      opts.items.map((it, r) => ({ itemId: it.itemId, prompt: it.prompt, n: 1 + (r % maxN), params: { ...opts.sampled, seed } }));

    it("has a non-empty id", () => {
      expect(typeof policy.id).toBe("string");
      expect(policy.id.length).toBeGreaterThan(0);
    });

    it("returns exactly n completions per request, in request order, with string text", async () => {
      const reqs = requests(11);
      const got = await policy.generate(reqs);
      expect(got).toHaveLength(reqs.length);
      got.forEach((completions, r) => {
        expect(completions).toHaveLength(reqs[r]!.n);
        for (const c of completions) expect(typeof c.text).toBe("string");
      });
      // Order: each request alone gives what it got inside the batch.
      for (let r = 0; r < reqs.length; r++) {
        const alone = await policy.generate([reqs[r]!]);
        expect(alone[0]!.map((c) => c.text)).toEqual(got[r]!.map((c) => c.text));
      }
    });

    it("gives the same output for the same seed", async () => {
      const a = await policy.generate(requests(42));
      const b = await policy.generate(requests(42));
      expect(b.map((g) => g.map((c) => c.text))).toEqual(a.map((g) => g.map((c) => c.text)));
      if (opts.seedSensitive) {
        const c = await policy.generate(requests(43));
        expect(c.map((g) => g.map((x) => x.text))).not.toEqual(a.map((g) => g.map((x) => x.text)));
      }
    });

    it("sampleIndex offsets the samples: samples [1, 2) equal the second of [0, 2)", async () => {
      if (maxN < 2) return;
      const it0 = opts.items[0]!;
      const base = { itemId: it0.itemId, prompt: it0.prompt, params: { ...opts.sampled, seed: 5 } };
      const both = await policy.generate([{ ...base, n: 2 }]);
      const second = await policy.generate([{ ...base, n: 1, sampleIndex: 1 }]);
      expect(second[0]![0]!.text).toBe(both[0]![1]!.text);
    });

    it("rejects at once with an already-aborted signal", async () => {
      const ctrl = new AbortController();
      ctrl.abort(new Error("stop now"));
      await expect(policy.generate(requests(1), ctrl.signal)).rejects.toThrow("stop now");
    });

    it.skipIf(!opts.slowRequests)("rejects promptly when aborted midway", async () => {
      const ctrl = new AbortController();
      const started = performance.now();
      const pending = policy.generate(opts.slowRequests!, ctrl.signal);
      setTimeout(() => ctrl.abort(new Error("cancelled by test")), 20);
      await expect(pending).rejects.toThrow("cancelled by test");
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it("close() is idempotent", async () => {
      const p = await makePolicy();
      await p.close?.();
      await expect(p.close?.()).resolves.toBeUndefined();
    });
  });
}
