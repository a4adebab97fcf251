// The vocabulary of policies: what the harness asks a model for and what it gets back.
import type { Prompt, SamplingParams } from "../../tasks/types.ts";

export interface GenerateRequest {
  /** Stable id of the item this request is for (used by replay and caching). */
  itemId: string;
  prompt: Prompt;
  /** How many completions to return for this prompt (a group of K). */
  n: number;
  params: SamplingParams;
  /** Index of the first completion requested; completion i gets seed + sampleIndex + i. */
  sampleIndex?: number;
}

export interface Completion {
  text: string;
  tokenIds?: number[];
  /** Per-token sampling log-probabilities, aligned with tokenIds when both are present. */
  logprobs?: number[];
  finishReason?: "stop" | "length" | "error";
  usage?: { promptTokens?: number; completionTokens?: number };
}

/** `generate` returns, for each request, exactly `n` completions (in order). */
export interface Policy {
  /** A stable description used in cache keys and reports, e.g. "openai:gpt-4o@http://…". */
  readonly id: string;
  generate(requests: GenerateRequest[], signal?: AbortSignal): Promise<Completion[][]>;
  close?(): Promise<void>;
}

export class PolicyError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PolicyError";
    this.code = code;
  }
}
