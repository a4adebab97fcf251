// Typed errors of the verifier layer. Config errors name the field path and what was expected.

export type ConfigPath = ReadonlyArray<string | number>;

/** Renders a field path as `verifier.graders.a.normalize[1]`. */
export function formatPath(path: ConfigPath, root = "verifier"): string {
  let out = root;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

export interface ConfigIssue {
  path: ConfigPath;
  /** What was wrong, without the path, e.g. `expected number, got "a"`. */
  message: string;
}

/** A verifier spec that cannot be built: unknown type, bad option, bad template or formula. */
export class VerifierConfigError extends Error {
  readonly code = "verifier_config";
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], options?: { cause?: unknown }) {
    super(issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join("; "), options);
    this.name = "VerifierConfigError";
    this.issues = issues;
  }

  /** The same error seen from a parent spec (multi, OpenAI mapping): paths gain a prefix. */
  withPrefix(prefix: ConfigPath): VerifierConfigError {
    return new VerifierConfigError(
      this.issues.map((i) => ({ path: [...prefix, ...i.path], message: i.message })),
      { cause: this.cause },
    );
  }
}

export function configError(path: ConfigPath, message: string): VerifierConfigError {
  return new VerifierConfigError([{ path, message }]);
}

/** A value shown inside an error message: short, quoted when a string. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}
