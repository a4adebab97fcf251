import { defaultRegistry } from "../../verifiers/builtin.ts";
import type { Verdict, VerifierSpec, VerifyContext } from "../../verifiers/types.ts";

export function ctx(output: string, reference?: unknown, fields: Record<string, unknown> = {}): VerifyContext {
  return { sample: { id: "s1", ...(reference === undefined ? {} : { reference }), ...fields }, output };
}

/** Builds `spec` with the default registry and grades one output. */
export async function grade(spec: VerifierSpec, output: string, reference?: unknown, fields: Record<string, unknown> = {}): Promise<Verdict> {
  const verifier = await defaultRegistry().build(spec);
  return verifier.verify(ctx(output, reference, fields));
}

/** The config error message build() throws for `spec` (fails the test if it builds). */
export async function buildError(spec: VerifierSpec): Promise<{ code: string; message: string }> {
  try {
    await defaultRegistry().build(spec);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error(`expected ${JSON.stringify(spec)} to be rejected`);
}
