// defineSuite: identity with a type, so a TypeScript suite module is checked by the compiler.
import type { SuiteDefinition } from "./types.ts";

export function defineSuite<const S extends SuiteDefinition>(suite: S): S {
  return suite;
}
