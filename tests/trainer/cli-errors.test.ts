// `arbiter train` input errors are ConfigError (code invalid_config; the CLI maps them to exit 2)
// and name the flag or file that was wrong.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configFromFlags, runTrain, type TrainFlags } from "../../trainer/cli.ts";
import { ConfigError } from "../../trainer/config.ts";
import { tabularProblem } from "../../trainer/tabular-task.ts";

const dir = mkdtempSync(join(tmpdir(), "arbiter-train-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const flags = (over: Partial<TrainFlags>): TrainFlags => ({ engine: "tabular:bandit", resume: false, ...over });

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("train CLI errors", () => {
  it("a flag that is not a number names the flag", () => {
    const err = thrown(() => configFromFlags(flags({ steps: "ten" })));
    expect(err.code).toBe("invalid_config");
    expect(err.message).toBe('--steps must be a number, got "ten"');
  });

  it("an unreadable or malformed config file names the file", () => {
    const missing = join(dir, "nope.yaml");
    expect(thrown(() => configFromFlags(flags({ config: missing }))).message).toMatch(new RegExp(`^--config ${missing}: ENOENT`));
    const list = join(dir, "list.yaml");
    writeFileSync(list, "- 1\n- 2\n");
    expect(thrown(() => configFromFlags(flags({ config: list }))).message).toBe(`--config ${list}: expected a mapping of TrainConfig fields`);
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "steps: [1\n");
    expect(thrown(() => configFromFlags(flags({ config: bad }))).message).toMatch(new RegExp(`^--config ${bad}: `));
  });

  it("a config file's values are read and flags override them", () => {
    const file = join(dir, "ok.yaml");
    writeFileSync(file, "steps: 7\ngroupSize: 3\n");
    const config = configFromFlags(flags({ config: file, groupSize: "5" }));
    expect([config.steps, config.groupSize]).toEqual([7, 5]);
  });

  it("an unknown engine or tabular problem is a ConfigError listing the choices", async () => {
    await expect(runTrain(flags({ engine: "gpu:x", steps: "1" }), () => {})).rejects.toThrow(/^--engine "gpu:x": unknown engine; expected one of tabular:\.\.\./);
    await expect(runTrain(flags({ engine: "gpu:x", steps: "1" }), () => {})).rejects.toBeInstanceOf(ConfigError);
    await expect(tabularProblem("maze")).rejects.toThrow(ConfigError);
    await expect(tabularProblem("maze")).rejects.toThrow('unknown tabular problem "maze"; expected bandit or mdp');
  });
});
