// Rollouts: sample K completions per prompt from the engine, decode them, score them with every
// verifier of the task concurrently. A verifier that throws or errors becomes reward 0 and is
// counted; it never kills the step.
import type { Verdict } from "../verifiers/types.ts";
import type { Engine, SampleParams } from "./engine/protocol.ts";
import type { Item } from "./data.ts";
import { overlongPenalty } from "./advantages.ts";
import type { Group, Renderer, Rollout, TrainConfig, WeightedVerifier } from "./types.ts";

export interface RolloutTimes {
  sample: number;
  verify: number;
}

/** Samples and scores one group per item. */
export async function collectGroups(
  engine: Engine,
  renderer: Renderer,
  items: Item[],
  config: Pick<TrainConfig, "groupSize" | "dapo">,
  params: SampleParams,
  times: RolloutTimes,
  signal?: AbortSignal,
): Promise<Group[]> {
  let t = performance.now();
  const prompts = await Promise.all(items.map((it) => renderer.renderPrompt(it.sample, it.task.name)));
  const sampled = await engine.sample(prompts, config.groupSize, params);
  times.sample += performance.now() - t;
  t = performance.now();
  const groups = await Promise.all(
    items.map(async (it, gi): Promise<Group> => {
      const seqs = sampled[gi]!;
      const texts = seqs.map((s) => renderer.decode(s.completion));
      const promptView = renderer.promptFor?.(it.sample, it.task.name);
      const ctxs = texts.map((output, i) => ({
        sample: it.sample,
        output,
        sampleIndex: i,
        ...(promptView !== undefined ? { prompt: promptView } : {}),
        ...(signal ? { signal } : {}),
      }));
      const perVerifier = await Promise.all(it.task.verifiers.map((v) => scoreGroup(v, ctxs)));
      const rollouts = seqs.map((seq, i): Rollout => {
        const verdicts: Record<string, Verdict> = {};
        let reward = 0;
        let verifierErrors = 0;
        it.task.verifiers.forEach((v, k) => {
          const verdict = perVerifier[k]![i]!;
          verdicts[v.name] = verdict;
          if (verdict.error) verifierErrors++;
          else reward += v.weight * verdict.reward;
        });
        reward += overlongPenalty(seq.completion.length, params.maxTokens, config.dapo.overlongBuffer, config.dapo.overlongPenalty);
        const rewards_T = seq.completion.map((_, t) => (t === seq.completion.length - 1 ? reward : 0));
        return { taskName: it.task.name, sample: it.sample, index: i, seq, text: texts[i]!, verdicts, reward, rewards_T, verifierErrors };
      });
      return { taskName: it.task.name, sample: it.sample, rollouts };
    }),
  );
  times.verify += performance.now() - t;
  return groups;
}

/** One verifier over a group: verifyGroup when it has one, else verify per completion, all
 *  concurrently. Exceptions and non-finite rewards become error verdicts with reward 0. */
async function scoreGroup(v: WeightedVerifier, ctxs: Parameters<WeightedVerifier["verifier"]["verify"]>[0][]): Promise<Verdict[]> {
  const guard = (verdict: Verdict): Verdict =>
    Number.isFinite(verdict.reward)
      ? verdict
      : { reward: 0, error: { kind: "invalid_output", message: `verifier ${v.name} returned a non-finite reward (${verdict.reward})` } };
  const crash = (e: unknown): Verdict => ({
    reward: 0,
    error: { kind: "crash", message: `verifier ${v.name} threw: ${e instanceof Error ? e.message : String(e)}` },
  });
  if (v.verifier.verifyGroup) {
    try {
      const out = await v.verifier.verifyGroup(ctxs);
      if (out.length === ctxs.length) return out.map(guard);
      return ctxs.map(() => crash(new Error(`verifyGroup returned ${out.length} verdicts for ${ctxs.length} completions`)));
    } catch (e) {
      return ctxs.map(() => crash(e));
    }
  }
  return Promise.all(ctxs.map((c) => v.verifier.verify(c).then(guard, crash)));
}
