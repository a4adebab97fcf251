// A dead or hung worker is a clear EngineError, never a hang; a training job whose worker is killed
// resumes from its checkpoint and continues exactly as an uninterrupted run.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../trainer/engine/protocol.ts";
import { train } from "../../trainer/loop.ts";
import type { Renderer, StepMetrics, TrainTask } from "../../trainer/types.ts";
import type { TrainConfigInput } from "../../trainer/config.ts";
import { startTiny, tinyModelDir } from "./tiny.ts";

async function rejection(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error("expected a rejection");
}

const dir = tinyModelDir();

describe("torch worker failures", () => {
  it("a killed worker rejects the in-flight call and every later call with worker_died + stderr tail", async () => {
    const e = await startTiny(dir);
    const inFlight = e.call("debug_sleep", { seconds: 30 });
    process.kill(e.pid!, "SIGKILL");
    const err = await rejection(inFlight);
    expect(err.code).toBe("worker_died");
    expect(err.message).toMatch(/SIGKILL/);
    const later = await rejection(e.logprobs([{ prompt: [2], completion: [3] }]));
    expect(later.code).toBe("worker_died");
    await e.close();
  });

  it("a hung worker hits the per-call timeout (worker_timeout) and is killed", async () => {
    const e = await startTiny(dir, { timeoutMs: 1500 });
    const t0 = performance.now();
    const err = await rejection(e.call("debug_sleep", { seconds: 60 }));
    expect(err.code).toBe("worker_timeout");
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect((await rejection(e.sample([[2]], 1, { maxTokens: 2 }))).code).toMatch(/worker_(timeout|died)/);
    await e.close();
  });

  it("an unknown model folder is an invalid_request naming the file", async () => {
    const err = await rejection(startTiny("/nonexistent/model", { randomInit: false }));
    expect(err.code).toBe("invalid_request");
    expect(err.message).toContain("config.json");
  });

  it("a python that cannot be started is worker_died naming the python and the cause", async () => {
    const err = await rejection(startTiny(dir, { python: "/nonexistent/python3" }));
    expect(err.code).toBe("worker_died");
    expect(err.message).toMatch(/cannot start the torch worker with python \/nonexistent\/python3: .*ENOENT/);
  });

  it("a training job whose worker dies resumes from its checkpoint and matches an uninterrupted run", async () => {
    // Token-level toy task on the random model: reward = share of completion tokens equal to 7.
    const renderer: Renderer = {
      renderPrompt: (s) => s.metadata!["prompt"] as number[],
      decode: (toks) => toks.join(" "),
    };
    const tasks: TrainTask[] = [{
      name: "sevens",
      train: [[2, 3], [4], [5, 6], [8]].map((prompt, i) => ({ id: `p${i}`, metadata: { prompt } })),
      verifiers: [{ name: "sevens", weight: 1, verifier: { kind: "sevens", verify: async (ctx) => {
        const toks = ctx.output.split(" ").filter(Boolean);
        return { reward: toks.filter((t) => t === "7").length / Math.max(1, toks.length) };
      } } }],
    }];
    const config = (outDir: string): TrainConfigInput => ({
      seed: 3, steps: 6, groupsPerStep: 2, groupSize: 4, sampling: { maxTokens: 4, temperature: 1 },
      optimizer: { learningRate: 0.01 }, checkpoint: { every: 2, keep: 2 }, outDir,
    });
    const stable = (r: StepMetrics) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith("time/")));

    const killedDir = mkdtempSync(join(tmpdir(), "arbiter-torch-resume-"));
    const first = await startTiny(dir);
    const died = await rejection(train(config(killedDir), {
      engine: first, renderer, tasks,
      onStep: (row) => { if (row.step === 3) process.kill(first.pid!, "SIGKILL"); },
    }));
    expect(died.code).toBe("worker_died");
    await first.close();

    const second = await startTiny(dir);
    const resumed = await train(config(killedDir), { engine: second, renderer, tasks });
    await second.close();
    expect(resumed.resumedFrom).toBe(2);
    expect(resumed.history.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);

    const clean = await startTiny(dir);
    const reference = await train(config(mkdtempSync(join(tmpdir(), "arbiter-torch-clean-"))), { engine: clean, renderer, tasks });
    await clean.close();
    expect(resumed.history.slice(2).map(stable)).toEqual(reference.history.slice(2).map(stable));
  });
});
