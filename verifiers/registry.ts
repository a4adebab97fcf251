// Verifier registry: kind -> factory. build() validates a spec with the factory's zod schema
// (applied to the spec without its `type`) and wraps the verifier so it never throws.
import type { z } from "zod";
import { configError, describeValue, VerifierConfigError, type ConfigIssue } from "./errors.ts";
import type { Verdict, Verifier, VerifierFactory, VerifierServices, VerifierSpec, VerifyContext } from "./types.ts";

export interface VerifierRegistry {
  register(factory: VerifierFactory<any>): void;
  build(spec: VerifierSpec, services?: Partial<VerifierServices>): Promise<Verifier>;
  kinds(): string[];
  has(kind: string): boolean;
}

type ZodIssue = z.core.$ZodIssue;

function issueMessage(issue: ZodIssue): string {
  const got = "input" in issue ? `, got ${describeValue(issue.input)}` : "";
  switch (issue.code) {
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => String(v)).join("|")}${got}`;
    case "invalid_type":
      return issue.input === undefined ? `required field missing (expected ${issue.expected})` : `expected ${issue.expected}${got}`;
    case "unrecognized_keys":
      return `unknown field`;
    case "invalid_union": {
      const expected = issue.errors.flatMap((branch) => branch.map((b) => (b.code === "invalid_type" ? b.expected : b.message)));
      return `expected ${[...new Set(expected)].join(" or ")}${got}`;
    }
    case "invalid_key":
      return issue.issues.map((i) => i.message).join("; ");
    case "too_small":
    case "too_big":
    case "custom":
    default:
      return `${issue.message}${issue.code === "custom" ? "" : got}`;
  }
}

/** Turns zod issues into a VerifierConfigError whose message names each field path. */
export function configErrorFromZod(issues: readonly ZodIssue[]): VerifierConfigError {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const base = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: [...base, key], message: "unknown field" });
    } else {
      out.push({ path: base, message: issueMessage(issue) });
    }
  }
  return new VerifierConfigError(out);
}

/** A verdict for a verify() that threw or returned something that is not a verdict. */
function crashVerdict(err: unknown): Verdict {
  const message = err instanceof Error ? err.message : String(err);
  return { reward: 0, pass: false, error: { kind: "crash", message } };
}

function checkVerdict(v: unknown): Verdict {
  if (v === null || typeof v !== "object" || typeof (v as Verdict).reward !== "number" || !Number.isFinite((v as Verdict).reward)) {
    const reward = v !== null && typeof v === "object" ? (v as { reward?: unknown }).reward : v;
    return { reward: 0, pass: false, error: { kind: "invalid_output", message: `verifier returned a non-finite or missing reward (${describeValue(reward)})` } };
  }
  return v as Verdict;
}

/** Runs verify so that a throw or rejection becomes a crash verdict, never an exception. */
export async function safeVerify(verifier: Verifier, ctx: VerifyContext): Promise<Verdict> {
  try {
    return checkVerdict(await verifier.verify(ctx));
  } catch (err) {
    return crashVerdict(err);
  }
}

/** The verifier with verify/verifySync/verifyGroup guarded by safeVerify's rules. */
export function guard(verifier: Verifier): Verifier {
  const guarded: Verifier = {
    kind: verifier.kind,
    verify: (ctx) => safeVerify(verifier, ctx),
  };
  const sync = verifier.verifySync?.bind(verifier);
  if (sync) {
    guarded.verifySync = (ctx) => {
      try {
        return checkVerdict(sync(ctx));
      } catch (err) {
        return crashVerdict(err);
      }
    };
  }
  const group = verifier.verifyGroup?.bind(verifier);
  if (group) {
    guarded.verifyGroup = async (ctxs) => {
      try {
        const verdicts = await group(ctxs);
        if (!Array.isArray(verdicts) || verdicts.length !== ctxs.length) {
          const message = `verifyGroup returned ${Array.isArray(verdicts) ? verdicts.length : "no"} verdicts for ${ctxs.length} completions`;
          return ctxs.map(() => ({ reward: 0, pass: false, error: { kind: "invalid_output" as const, message } }));
        }
        return verdicts.map(checkVerdict);
      } catch (err) {
        return ctxs.map(() => crashVerdict(err));
      }
    };
  }
  if (verifier.close) guarded.close = verifier.close.bind(verifier);
  return guarded;
}

export function createRegistry(factories: VerifierFactory<any>[] = []): VerifierRegistry {
  const byKind = new Map<string, VerifierFactory<any>>();

  const registry: VerifierRegistry = {
    register(factory) {
      byKind.set(factory.kind, factory);
    },
    kinds: () => [...byKind.keys()].sort(),
    has: (kind) => byKind.has(kind),
    async build(spec, services = {}) {
      if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
        throw configError([], `expected an object with a "type", got ${describeValue(spec)}`);
      }
      if (typeof spec.type !== "string") throw configError(["type"], `expected a verifier type string, got ${describeValue(spec.type)}`);
      const factory = byKind.get(spec.type);
      if (!factory) {
        throw configError(["type"], `unknown verifier type ${JSON.stringify(spec.type)} (registered: ${registry.kinds().join(", ")})`);
      }
      const { type: _type, ...options } = spec;
      const parsed = factory.schema.safeParse(options, { reportInput: true });
      if (!parsed.success) throw configErrorFromZod(parsed.error.issues);
      const full: VerifierServices = { ...services, build: services.build ?? ((child) => registry.build(child, full)) };
      try {
        return guard(await factory.create(parsed.data, full));
      } catch (err) {
        if (err instanceof VerifierConfigError || (err instanceof Error && "code" in err)) throw err;
        throw new VerifierConfigError([{ path: [], message: `cannot build ${JSON.stringify(spec.type)}: ${err instanceof Error ? err.message : String(err)}` }], { cause: err });
      }
    },
  };
  for (const f of factories) registry.register(f);
  return registry;
}
