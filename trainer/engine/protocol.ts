// The engine protocol: the handful of tensor operations the TypeScript trainer asks of an engine.
// Transport-independent: tabular engines are called in-process; worker engines (torch) speak the
// same calls over framed stdio (see client.ts). Every engine passes tests/contract/engine.ts.

export const ENGINE_PROTOCOL_VERSION = 1;

/** One sequence: prompt tokens followed by completion tokens. Log-probs and weights are per
 *  completion token. */
export interface Sequence {
  prompt: number[];
  completion: number[];
}

export interface SampleParams {
  temperature?: number;
  topP?: number;
  maxTokens: number;
  seed?: number;
  stopTokenIds?: number[];
}

export interface SampledSequence extends Sequence {
  /** Sampling log-probabilities of each completion token under the sampler's distribution. */
  logprobs: number[];
  finishReason: "stop" | "length";
}

export interface ForwardBackwardResult {
  /** log pi_theta of each completion token at the parameters the gradient was taken at. */
  logprobs: number[][];
  /** Mean per-token entropy of the policy over completion tokens, when the engine computes it. */
  entropy?: number;
}

export interface AdamParams {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip the global gradient norm to this value before the step (0 or absent: no clipping). */
  maxGradNorm?: number;
}

export interface OptimStepResult {
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

export interface EngineInfo {
  name: string;
  protocolVersion: number;
  vocabSize: number;
  eosTokenId?: number;
}

export interface Engine {
  readonly info: EngineInfo;
  /** n completions for each prompt; result[i] holds the n completions of prompts[i]. */
  sample(prompts: number[][], n: number, params: SampleParams): Promise<SampledSequence[][]>;
  /** log pi_theta of each completion token; no gradient is kept. */
  logprobs(batch: Sequence[]): Promise<number[][]>;
  /** Accumulates grad_theta of sum_t weights[i][t] * log pi_theta(completion[i][t]) into the
   *  gradient buffer (gradient ascent direction on the surrogate). Calls accumulate until
   *  optimStep. */
  forwardBackward(batch: Sequence[], weights: number[][]): Promise<ForwardBackwardResult>;
  /** Applies the accumulated gradient with Adam(W) (ascending the surrogate) and zeroes it. */
  optimStep(params: AdamParams): Promise<OptimStepResult>;
  /** Writes weights, optimiser state and RNG state under dir. */
  save(dir: string): Promise<void>;
  load(dir: string): Promise<void>;
  /** Exports the current weights in a format the harness can evaluate (e.g. "onnx"). */
  export(dir: string, format: string): Promise<void>;
  close(): Promise<void>;
}

export type EngineErrorCode =
  | "worker_died"
  | "worker_timeout"
  | "protocol"
  | "invalid_request"
  | "unsupported"
  | "internal";

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  constructor(code: EngineErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EngineError";
    this.code = code;
  }
}
