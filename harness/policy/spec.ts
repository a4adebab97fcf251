// Policy spec strings: `replay:FILE`, `openai:MODEL[@BASE_URL]`, `local:DIR`. New kinds
// (the trainer's `engine:`) register a constructor with `registerPolicyScheme`.
import { existsSync, statSync } from "node:fs";
import { LocalPolicy, type LocalPolicyOptions } from "./local.ts";
import { DEFAULT_BASE_URL, OpenAICompatiblePolicy, type OpenAICompatibleOptions } from "./openai-compatible.ts";
import { ReplayPolicy } from "./replay.ts";
import { PolicyError, type Policy } from "./types.ts";

export interface PolicySpecOptions {
  openai?: Omit<OpenAICompatibleOptions, "model" | "baseURL">;
  local?: LocalPolicyOptions;
  /** Free-form options for schemes registered later (e.g. `engine`). */
  [scheme: string]: unknown;
}

/** Builds a policy from the part of the spec after `scheme:`. */
export type PolicyFactory = (rest: string, options: PolicySpecOptions, spec: string) => Promise<Policy>;

function specError(spec: string, what: string): PolicyError {
  return new PolicyError("policy_spec", `invalid policy spec ${JSON.stringify(spec)}: ${what}`);
}

function requireFile(spec: string, path: string, kind: "file" | "directory"): void {
  if (path === "") throw specError(spec, `expected a ${kind} path after the colon`);
  if (!existsSync(path)) throw specError(spec, `${kind} not found: ${path}`);
  const isDir = statSync(path).isDirectory();
  if (kind === "file" && isDir) throw specError(spec, `expected a file, got a directory: ${path}`);
  if (kind === "directory" && !isDir) throw specError(spec, `expected a model directory, got a file: ${path}`);
}

/** `openai:MODEL@BASE_URL`: the model name may itself contain `@`, so split at the `@` that
 *  starts an http(s) URL. */
export function parseOpenAISpec(spec: string, rest: string): { model: string; baseURL: string } {
  const at = rest.search(/@https?:\/\//);
  const model = at === -1 ? rest : rest.slice(0, at);
  const baseURL = at === -1 ? DEFAULT_BASE_URL : rest.slice(at + 1);
  if (model === "") throw specError(spec, `expected a model name, as in openai:gpt-4o-mini or openai:MODEL@http://host:8000/v1`);
  if (at === -1 && /@/.test(rest) && /@[^@]*[:/]/.test(rest)) {
    throw specError(spec, `the base URL after "@" must start with http:// or https://`);
  }
  try {
    new URL(baseURL);
  } catch {
    throw specError(spec, `base URL is not a valid URL: ${baseURL}`);
  }
  return { model, baseURL };
}

const factories = new Map<string, PolicyFactory>([
  [
    "replay",
    async (rest, _opts, spec) => {
      requireFile(spec, rest, "file");
      return ReplayPolicy.fromFile(rest);
    },
  ],
  [
    "openai",
    async (rest, opts, spec) => {
      const { model, baseURL } = parseOpenAISpec(spec, rest);
      return new OpenAICompatiblePolicy({ ...opts.openai, model, baseURL });
    },
  ],
  [
    "local",
    async (rest, opts, spec) => {
      requireFile(spec, rest, "directory");
      return LocalPolicy.load(rest, opts.local ?? {});
    },
  ],
]);

/** Adds (or replaces) a scheme, e.g. `registerPolicyScheme("engine", …)` from the trainer. */
export function registerPolicyScheme(scheme: string, factory: PolicyFactory): void {
  if (!/^[a-z][a-z0-9-]*$/.test(scheme)) throw new PolicyError("policy_spec", `invalid policy scheme name ${JSON.stringify(scheme)}`);
  factories.set(scheme, factory);
}

export function policySchemes(): string[] {
  return [...factories.keys()];
}

export async function createPolicy(spec: string, options: PolicySpecOptions = {}): Promise<Policy> {
  if (typeof spec !== "string" || spec.trim() === "") {
    throw new PolicyError("policy_spec", `invalid policy spec: expected a non-empty string such as "replay:FILE", "openai:MODEL@BASE_URL" or "local:DIR"`);
  }
  const colon = spec.indexOf(":");
  const scheme = colon === -1 ? "" : spec.slice(0, colon);
  const factory = factories.get(scheme);
  if (factory === undefined) {
    const known = policySchemes().map((s) => `${s}:`).join(", ");
    throw specError(spec, colon === -1 ? `missing scheme; expected one of ${known}` : `unknown scheme "${scheme}"; expected one of ${known}`);
  }
  return factory(spec.slice(colon + 1), options, spec);
}
