// similarity: a text-similarity score between the output and the reference, as the reward.
import { z } from "zod";
import { baseShape, readInput, readReference, unavailable } from "./common.ts";
import { referenceStrings } from "./exact-match.ts";
import { applyNormalizers, normalizeListSchema } from "./normalize.ts";
import { fuzzyRatio, rougeL, rougeN, sentenceBleu, sentenceGleu } from "./text-metrics.ts";
import type { VerifierFactory } from "./types.ts";

export const SIMILARITY_METRICS = ["fuzzy_match", "bleu", "gleu", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l"] as const;
export type SimilarityMetric = (typeof SIMILARITY_METRICS)[number];

const METRICS: Record<SimilarityMetric, (hyp: string, ref: string) => number> = {
  fuzzy_match: fuzzyRatio,
  bleu: (h, r) => sentenceBleu(h, r),
  gleu: (h, r) => sentenceGleu(h, r),
  rouge_1: (h, r) => rougeN(h, r, 1),
  rouge_2: (h, r) => rougeN(h, r, 2),
  rouge_3: (h, r) => rougeN(h, r, 3),
  rouge_4: (h, r) => rougeN(h, r, 4),
  rouge_5: (h, r) => rougeN(h, r, 5),
  rouge_l: rougeL,
};

export function similarityScore(metric: SimilarityMetric, hypothesis: string, reference: string): number {
  return METRICS[metric](hypothesis, reference);
}

const schema = z
  .object({
    ...baseShape,
    metric: z.enum(SIMILARITY_METRICS),
    normalize: normalizeListSchema,
    /** Pass when the score reaches this; when absent, pass only on a score of 1. */
    pass_threshold: z.number().min(0).max(1).optional(),
  })
  .strict();

export type SimilarityConfig = z.infer<typeof schema>;

export const similarityFactory: VerifierFactory<SimilarityConfig> = {
  kind: "similarity",
  schema,
  create(config) {
    const threshold = config.pass_threshold ?? 1;
    return {
      kind: "similarity",
      async verify(ctx) {
        let hyp: string;
        let refs: string[];
        try {
          hyp = applyNormalizers(readInput(ctx, config.input), config.normalize);
          refs = referenceStrings(readReference(ctx, config.reference)).map((r) => applyNormalizers(r, config.normalize));
        } catch (err) {
          return unavailable(err);
        }
        // Several references: the best score counts.
        const scores = refs.map((r) => similarityScore(config.metric, hyp, r));
        const reward = Math.max(0, ...scores);
        const pass = reward >= threshold;
        return { reward, pass, reason: `${config.metric} = ${reward.toFixed(4)} (threshold ${threshold})`, details: { metric: config.metric, scores } };
      },
    };
  },
};
