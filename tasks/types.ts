// The vocabulary of task suites: samples, prompt templates, tasks and suites.
import type { VerifierSpec } from "../verifiers/types.ts";

export type ChatRole = "system" | "user" | "assistant" | "developer";
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** One dataset item. `input` is either prompt text or chat messages; any other fields are free
 *  and reachable from templates as {{item.field}}. */
export interface Sample {
  id: string;
  input?: string | ChatMessage[];
  reference?: unknown;
  metadata?: Record<string, unknown>;
  [field: string]: unknown;
}

/** A prompt template: plain text or chat messages, with {{item.field}} placeholders. */
export type PromptTemplate = string | ChatMessage[];

/** A rendered prompt, ready for a policy. */
export type Prompt = string | ChatMessage[];

export interface SamplingParams {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  logprobs?: boolean;
}

export interface Task {
  name: string;
  version: string;
  dataset: Sample[];
  verifier: VerifierSpec;
  prompt?: PromptTemplate;
  sampling?: SamplingParams;
  /** Optional held-out split names -> sample ids, used by the trainer for eval-in-the-loop. */
  description?: string;
}

export interface Suite {
  name: string;
  version: string;
  tasks: Task[];
  /** sha256 over the manifest, every dataset, template and verifier spec. */
  contentHash: string;
  /** Where the suite was loaded from, when it came from disk. */
  source?: string;
}

/** A task as written in a TypeScript suite module: the dataset inline or a JSONL path. */
export interface TaskDefinition {
  name: string;
  version?: string;
  description?: string;
  /** Samples inline, or a JSONL path relative to the module. */
  dataset: Array<Omit<Sample, "id"> & { id?: string }> | string;
  prompt?: PromptTemplate | { file: string };
  verifier: VerifierSpec;
  sampling?: SamplingParams;
}

/** What a `.ts`/`.js` suite module exports (default export or `suite`). */
export interface SuiteDefinition {
  name: string;
  version: string;
  description?: string;
  tasks: TaskDefinition[];
}
