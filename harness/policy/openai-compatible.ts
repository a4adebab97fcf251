// A policy that samples from any OpenAI-compatible HTTP endpoint (OpenAI, vLLM, SGLang, Ollama,
// llama.cpp) with plain fetch: chat completions for message prompts, and chat or legacy
// completions for string prompts.
import type { ChatMessage, Prompt, SamplingParams } from "../../tasks/types.ts";
import { backoffMs, createLimiter, retryAfterMs, sleep } from "./limits.ts";
import { PolicyError, type Completion, type GenerateRequest, type Policy } from "./types.ts";

export const DEFAULT_BASE_URL = "https://api.openai.com/v1";

export interface OpenAICompatibleOptions {
  model: string;
  /** Default https://api.openai.com/v1. */
  baseURL?: string;
  /** Default: env OPENAI_API_KEY, then ARBITER_API_KEY; no Authorization header when none. */
  apiKey?: string;
  /** Endpoint for string prompts: "chat" wraps the string as one user message (default);
   *  "completions" uses the legacy /completions endpoint (base models on vLLM/llama.cpp). */
  stringPrompts?: "chat" | "completions";
  /** "native" sends `n` and fans out only for choices the server did not return (default);
   *  "fanout" always sends one request per sample with n=1 and seed = seed + sampleIndex + i. */
  nMode?: "native" | "fanout";
  /** Most HTTP requests in flight at once (default 8). */
  concurrency?: number;
  /** Retries after the first attempt on 408/409/429/5xx and network errors (default 4). */
  maxRetries?: number;
  /** Backoff base and cap in ms (default 500 and 30000); retry-after(-ms) overrides. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Per-attempt timeout in ms (default 600000). */
  timeoutMs?: number;
  /** Name of the length limit in chat requests (default "max_tokens"; newer OpenAI models
   *  want "max_completion_tokens"). */
  maxTokensField?: "max_tokens" | "max_completion_tokens";
  /** Extra fields merged into every request body, e.g. {return_token_ids: true} for vLLM. */
  extraBody?: Record<string, unknown>;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

interface Choice {
  index?: number;
  text?: string;
  message?: { content?: string | null };
  finish_reason?: string | null;
  token_ids?: unknown;
  logprobs?: {
    content?: { token?: string; logprob?: number }[] | null;
    tokens?: string[];
    token_logprobs?: (number | null)[];
  } | null;
}
interface ResponseBody {
  choices?: Choice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

/** A single HTTP call's worth of work: one prompt, `n` choices, with a seed. */
interface Call {
  prompt: Prompt;
  params: SamplingParams;
  n: number;
  seed: number | undefined;
}

export class OpenAICompatiblePolicy implements Policy {
  readonly id: string;
  readonly #opts: Required<Omit<OpenAICompatibleOptions, "apiKey" | "extraBody" | "headers" | "fetch">>;
  readonly #apiKey: string | undefined;
  readonly #extraBody: Record<string, unknown>;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  readonly #limit: <T>(fn: () => Promise<T>) => Promise<T>;
  readonly #closed = new AbortController();

  constructor(options: OpenAICompatibleOptions) {
    if (typeof options.model !== "string" || options.model === "") {
      throw new PolicyError("policy_config", `openai-compatible policy: "model" must be a non-empty string`);
    }
    const baseURL = (options.baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    try {
      new URL(baseURL);
    } catch {
      throw new PolicyError("policy_config", `openai-compatible policy: "baseURL" is not a valid URL: ${JSON.stringify(baseURL)}`);
    }
    this.#opts = {
      model: options.model,
      baseURL,
      stringPrompts: options.stringPrompts ?? "chat",
      nMode: options.nMode ?? "native",
      concurrency: options.concurrency ?? 8,
      maxRetries: options.maxRetries ?? 4,
      retryBaseMs: options.retryBaseMs ?? 500,
      retryMaxMs: options.retryMaxMs ?? 30_000,
      timeoutMs: options.timeoutMs ?? 600_000,
      maxTokensField: options.maxTokensField ?? "max_tokens",
    };
    this.#apiKey = options.apiKey ?? process.env["OPENAI_API_KEY"] ?? process.env["ARBITER_API_KEY"];
    this.#extraBody = options.extraBody ?? {};
    this.#headers = options.headers ?? {};
    this.#fetch = options.fetch ?? fetch;
    this.#limit = createLimiter(this.#opts.concurrency);
    this.id = `openai:${this.#opts.model}@${baseURL}`;
  }

  async generate(requests: GenerateRequest[], signal?: AbortSignal): Promise<Completion[][]> {
    const sig = signal ? AbortSignal.any([signal, this.#closed.signal]) : this.#closed.signal;
    sig.throwIfAborted();
    return Promise.all(requests.map((req) => this.#generateOne(req, sig)));
  }

  async #generateOne(req: GenerateRequest, signal: AbortSignal): Promise<Completion[]> {
    const base = req.params.seed === undefined ? undefined : req.params.seed + (req.sampleIndex ?? 0);
    const seedAt = (i: number) => (base === undefined ? undefined : base + i);
    if (!Number.isInteger(req.n) || req.n < 0) {
      throw new PolicyError("invalid_request", `request for item "${req.itemId}": "n" must be an integer >= 0, got ${req.n}`);
    }
    if (req.n === 0) return [];
    if (this.#opts.nMode === "fanout" || req.n === 1) {
      const one = (i: number) => this.#call({ prompt: req.prompt, params: req.params, n: 1, seed: seedAt(i) }, signal);
      return (await Promise.all(Array.from({ length: req.n }, (_, i) => one(i)))).flat();
    }
    const got = await this.#call({ prompt: req.prompt, params: req.params, n: req.n, seed: seedAt(0) }, signal);
    // Servers that ignore `n` (Ollama, some llama.cpp builds) return fewer choices: fan out the rest.
    const missing = Array.from({ length: req.n - got.length }, (_, k) => got.length + k);
    const rest = await Promise.all(
      missing.map((i) => this.#call({ prompt: req.prompt, params: req.params, n: 1, seed: seedAt(i) }, signal)),
    );
    return [...got, ...rest.flat()].slice(0, req.n);
  }

  #body(call: Call): { path: string; body: Record<string, unknown> } {
    const { params, prompt } = call;
    const chat = typeof prompt !== "string" || this.#opts.stringPrompts === "chat";
    const body: Record<string, unknown> = { model: this.#opts.model };
    if (chat) {
      const messages: ChatMessage[] = typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt;
      body["messages"] = messages;
    } else {
      body["prompt"] = prompt;
    }
    if (call.n !== 1) body["n"] = call.n;
    if (call.seed !== undefined) body["seed"] = call.seed;
    if (params.temperature !== undefined) body["temperature"] = params.temperature;
    if (params.topP !== undefined) body["top_p"] = params.topP;
    if (params.maxTokens !== undefined) body[chat ? this.#opts.maxTokensField : "max_tokens"] = params.maxTokens;
    if (params.stop !== undefined && params.stop.length > 0) body["stop"] = params.stop;
    if (params.logprobs) body["logprobs"] = chat ? true : 1;
    Object.assign(body, this.#extraBody);
    return { path: chat ? "/chat/completions" : "/completions", body };
  }

  async #call(call: Call, signal: AbortSignal): Promise<Completion[]> {
    const { path, body } = this.#body(call);
    const json = await this.#limit(() => this.#post(path, body, signal));
    const choices = [...(json.choices ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return choices.map((c, i) => toCompletion(c, i === 0 ? json.usage : undefined));
  }

  async #post(path: string, body: Record<string, unknown>, signal: AbortSignal): Promise<ResponseBody> {
    const url = this.#opts.baseURL + path;
    const headers: Record<string, string> = { "content-type": "application/json", ...this.#headers };
    if (this.#apiKey) headers["authorization"] = `Bearer ${this.#apiKey}`;
    const payload = JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      const last = attempt >= this.#opts.maxRetries;
      let res: Response;
      try {
        res = await this.#fetch(url, {
          method: "POST",
          headers,
          body: payload,
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.#opts.timeoutMs)]),
        });
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (last) {
          throw new PolicyError(
            "network_error",
            `POST ${url} failed after ${attempt + 1} attempt(s): ${describeNetworkError(err)}`,
            { cause: err },
          );
        }
        await sleep(backoffMs(attempt, this.#opts.retryBaseMs, this.#opts.retryMaxMs), signal);
        continue;
      }
      if (res.ok) {
        try {
          return (await res.json()) as ResponseBody;
        } catch (err) {
          if (signal.aborted) throw signal.reason;
          throw new PolicyError("invalid_response", `POST ${url} returned status ${res.status} with a body that is not JSON`, { cause: err });
        }
      }
      const text = await res.text().catch(() => "");
      const shouldRetryHeader = res.headers.get("x-should-retry");
      const retryable =
        shouldRetryHeader === "true" ||
        (shouldRetryHeader !== "false" && (res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500));
      if (!retryable || last) {
        throw new PolicyError(
          "http_error",
          `POST ${url} failed with status ${res.status} after ${attempt + 1} attempt(s): ${serverMessage(text)}`,
        );
      }
      const wait = retryAfterMs(res.headers) ?? backoffMs(attempt, this.#opts.retryBaseMs, this.#opts.retryMaxMs);
      await sleep(Math.min(wait, this.#opts.retryMaxMs), signal);
    }
  }

  async close(): Promise<void> {
    if (!this.#closed.signal.aborted) {
      this.#closed.abort(new PolicyError("policy_closed", `policy ${this.id} was closed`));
    }
  }
}

function toCompletion(c: Choice, usage: ResponseBody["usage"]): Completion {
  const out: Completion = { text: c.message?.content ?? c.text ?? "" };
  out.finishReason = c.finish_reason === "length" ? "length" : "stop";
  const lp = c.logprobs;
  let tokens: string[] | undefined;
  if (lp?.content) {
    out.logprobs = lp.content.map((t) => t.logprob ?? Number.NaN);
    tokens = lp.content.map((t) => t.token ?? "");
  } else if (lp?.token_logprobs) {
    out.logprobs = lp.token_logprobs.map((v) => v ?? Number.NaN);
    tokens = lp.tokens;
  }
  if (Array.isArray(c.token_ids) && c.token_ids.every((t) => typeof t === "number")) {
    out.tokenIds = c.token_ids as number[];
  } else if (tokens && tokens.length > 0 && tokens.every((t) => /^token_id:\d+$/.test(t))) {
    // vLLM's `return_tokens_as_token_ids` spells each token as "token_id:<id>".
    out.tokenIds = tokens.map((t) => Number(t.slice("token_id:".length)));
  }
  if (usage) {
    // Usage is per HTTP response; it goes on the response's first completion so sums stay exact.
    const u: NonNullable<Completion["usage"]> = {};
    if (usage.prompt_tokens !== undefined) u.promptTokens = usage.prompt_tokens;
    if (usage.completion_tokens !== undefined) u.completionTokens = usage.completion_tokens;
    out.usage = u;
  }
  return out;
}

/** The server's own words: `error.message` of an OpenAI-style error body, else the body text. */
function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof body.error === "string") return body.error;
    if (typeof body.error?.message === "string") return body.error.message;
    if (typeof body.message === "string") return body.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  const trimmed = text.trim();
  return trimmed === "" ? "(empty body)" : trimmed.slice(0, 500);
}

function describeNetworkError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return "request timed out";
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? String(err)} (${cause})` : (e.message ?? String(err));
}
