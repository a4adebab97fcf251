// Supervised fine-tuning through the same bridge as RL: the loss is the token-mean negative
// log-likelihood, L = -(1/N) sum_t log pi_t, so every token's weight is w_t = -dL/dlogpi_t = 1/N.
import type { AdamParams, Engine, Sequence } from "./engine/protocol.ts";

export interface SftStepOptions {
  adam: AdamParams;
  /** Sequences per forwardBackward call; 0 = all at once. N is always the whole batch's count. */
  microBatchSize?: number;
  /** Per-token 0/1 mask over completion tokens (e.g. to skip padding); absent: all count. */
  mask_BT?: number[][];
}

export interface SftStepResult {
  /** Mean negative log-likelihood per counted token before the step. */
  loss: number;
  tokens: number;
  gradNorm: number;
}

/** One optimiser step of SFT on completion tokens (prompt tokens are context only). */
export async function sftStep(engine: Engine, batch: Sequence[], opts: SftStepOptions): Promise<SftStepResult> {
  const mask = batch.map((s, i) => s.completion.map((_, t) => opts.mask_BT?.[i]?.[t] ?? 1));
  const tokens = mask.flat().reduce((a, b) => a + b, 0);
  if (tokens === 0) throw new Error("sftStep: the batch has no counted completion tokens");
  const weights = mask.map((row) => row.map((m) => m / tokens));
  const mb = opts.microBatchSize && opts.microBatchSize > 0 ? opts.microBatchSize : batch.length;
  let nll = 0;
  for (let i = 0; i < batch.length; i += mb) {
    const r = await engine.forwardBackward(batch.slice(i, i + mb), weights.slice(i, i + mb));
    r.logprobs.forEach((row, j) => row.forEach((lp, t) => (nll -= lp * (mask[i + j]![t] ?? 0))));
  }
  const { gradNorm } = await engine.optimStep(opts.adam);
  return { loss: nll / tokens, tokens, gradNorm };
}
