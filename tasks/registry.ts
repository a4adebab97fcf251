// In-memory registry of loaded suites, keyed by name@version.
import { SuiteError } from "./errors.ts";
import type { Suite } from "./types.ts";

export function suiteKey(name: string, version: string): string {
  return `${name}@${version}`;
}

/** Splits "name@version" (version optional). */
export function parseSuiteRef(ref: string): { name: string; version?: string } {
  const at = ref.lastIndexOf("@");
  if (at <= 0) return { name: ref };
  return { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

export class SuiteRegistry {
  private readonly suites = new Map<string, Suite>();

  /** Registers a suite. Re-registering identical content is a no-op; different content under the
   *  same name@version is a suite_conflict unless `replace` is set. */
  register(suite: Suite, opts: { replace?: boolean } = {}): Suite {
    const key = suiteKey(suite.name, suite.version);
    const existing = this.suites.get(key);
    if (existing && existing.contentHash !== suite.contentHash && !opts.replace) {
      throw new SuiteError(
        "suite_conflict",
        `suite ${key} is already registered with different content (hash ${existing.contentHash.slice(0, 12)} vs ${suite.contentHash.slice(0, 12)}); bump the version or pass replace`,
      );
    }
    this.suites.set(key, suite);
    return suite;
  }

  /** By "name@version", or by name alone (the most recently registered version). */
  get(ref: string): Suite {
    const { name, version } = parseSuiteRef(ref);
    if (version !== undefined) {
      const s = this.suites.get(suiteKey(name, version));
      if (!s) throw new SuiteError("suite_not_found", `no suite ${suiteKey(name, version)}; registered: ${this.refs().join(", ") || "(none)"}`);
      return s;
    }
    const matches = [...this.suites.values()].filter((s) => s.name === name);
    const last = matches.at(-1);
    if (!last) throw new SuiteError("suite_not_found", `no suite named "${name}"; registered: ${this.refs().join(", ") || "(none)"}`);
    return last;
  }

  has(ref: string): boolean {
    const { name, version } = parseSuiteRef(ref);
    return version === undefined
      ? [...this.suites.values()].some((s) => s.name === name)
      : this.suites.has(suiteKey(name, version));
  }

  remove(name: string, version: string): boolean {
    return this.suites.delete(suiteKey(name, version));
  }

  list(): Suite[] {
    return [...this.suites.values()];
  }

  refs(): string[] {
    return [...this.suites.keys()];
  }
}
