// The built-in verifier factories. Other verifier areas append theirs to this plain list.
import { exactMatchFactory } from "./exact-match.ts";
import { jsonFactory } from "./json.ts";
import { multiFactory } from "./multi.ts";
import { numericFactory } from "./numeric.ts";
import { stringCheckFactory, textSimilarityFactory } from "./openai-graders.ts";
import { containsFactory, regexFactory } from "./regex.ts";
import { createRegistry, type VerifierRegistry } from "./registry.ts";
import { similarityFactory } from "./similarity.ts";
import { pythonGraderFactory } from "./python-grader.ts";
import { unitTestFactory } from "./unit-test.ts";
import type { VerifierFactory } from "./types.ts";
import { jsGraderFactory } from "./js-grader.ts";
import { rewardModelFactory } from "./reward-model.ts";
import { cosineFactory } from "./embedding.ts";
import { labelModelFactory, scoreModelFactory } from "./judge.ts";

export function builtinFactories(): VerifierFactory<any>[] {
  return [
    exactMatchFactory,
    regexFactory,
    containsFactory,
    numericFactory,
    jsonFactory,
    similarityFactory,
    multiFactory,
    stringCheckFactory,
    textSimilarityFactory,
    unitTestFactory,
    pythonGraderFactory,
    jsGraderFactory,
    rewardModelFactory,
    cosineFactory,
    scoreModelFactory(),
    labelModelFactory(),
  ];
}

export function defaultRegistry(): VerifierRegistry {
  return createRegistry(builtinFactories());
}
