import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ReplayPolicy, readReplayFile, replayItemId } from "../../harness/policy/replay.ts";
import { PolicyError } from "../../harness/policy/types.ts";
import { policyContract } from "../contract/policy.ts";

const dir = mkdtempSync(join(tmpdir(), "arbiter-replay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join("\n"));
  return path;
}
const row = (item: object, text: string) => JSON.stringify({ item, sample: { output_text: text } });

const contractFile = write("contract.jsonl", [
  row({ id: "q1", input: "2+2" }, "4"),
  row({ id: "q2", input: "3+3" }, "6"),
  row({ id: "q1", input: "2+2" }, "four"),
  row({ id: "q3", input: "1+1" }, "2"),
  row({ id: "q2", input: "3+3" }, "six"),
  row({ id: "q1", input: "2+2" }, "IV"),
  row({ id: "q3", input: "1+1" }, "two"),
  row({ id: "q2", input: "3+3" }, "VI"),
  row({ id: "q3", input: "1+1" }, "II"),
]);

policyContract("replay", () => ReplayPolicy.fromFile(contractFile), {
  items: [
    { itemId: "q1", prompt: "2+2" },
    { itemId: "q2", prompt: "3+3" },
    { itemId: "q3", prompt: "1+1" },
  ],
  sampled: { temperature: 1 },
  maxN: 3,
});

describe("replayItemId", () => {
  it("uses item.id when it is a string or a finite number", () => {
    expect(replayItemId({ id: "abc", x: 1 })).toBe("abc");
    expect(replayItemId({ id: 17 })).toBe("17");
  });
  it("hashes the canonical JSON otherwise: key order does not matter, content does", () => {
    const a = replayItemId({ q: "x", meta: { b: 1, a: [1, { d: 2, c: 3 }] } });
    const b = replayItemId({ meta: { a: [1, { c: 3, d: 2 }], b: 1 }, q: "x" });
    const c = replayItemId({ q: "y", meta: { b: 1, a: [1, { d: 2, c: 3 }] } });
    expect(a).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(replayItemId({ id: null, q: "x" })).toMatch(/^sha256:/);
  });
});

describe("readReplayFile", () => {
  it("groups lines by item in order of first appearance, keeping each group's file order", async () => {
    const items = await readReplayFile(contractFile);
    expect(items.map((i) => i.id)).toEqual(["q1", "q2", "q3"]);
    expect(items[0]!.outputs).toEqual(["4", "four", "IV"]);
    expect(items[1]!.item).toEqual({ id: "q2", input: "3+3" });
  });

  it("skips blank lines, accepts CRLF and a missing final newline, and reads sample.output messages", async () => {
    const path = join(dir, "crlf.jsonl");
    writeFileSync(
      path,
      `${row({ q: "a" }, "A")}\r\n\r\n${JSON.stringify({ item: { q: "a" }, sample: { output: [{ role: "assistant", content: "B" }] } })}\r\n`,
    );
    const items = await readReplayFile(path);
    expect(items).toHaveLength(1);
    expect(items[0]!.id).toBe(replayItemId({ q: "a" }));
    expect(items[0]!.outputs).toEqual(["A", "B"]);
  });

  it("streams large files across chunk boundaries without losing lines", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 60_000; i++) lines.push(row({ id: `item-${i % 20_000}`, pad: "x".repeat(i % 50) }, `out ${i}`));
    const path = write("big.jsonl", lines);
    const items = await readReplayFile(path);
    expect(items).toHaveLength(20_000);
    expect(items[123]!.outputs).toEqual(["out 123", "out 20123", "out 40123"]);
  });

  const bad: [string, string[], RegExp][] = [
    ["invalid JSON", [row({ id: 1 }, "a"), "{not json"], /bad\.jsonl:2: invalid JSON/],
    ["non-object line", [row({ id: 1 }, "a"), "", "[1,2]"], /bad\.jsonl:3: expected a JSON object .*got an array/],
    ["missing item", [JSON.stringify({ sample: { output_text: "a" } })], /bad\.jsonl:1: expected "item" to be an object, got nothing/],
    ["missing sample", [JSON.stringify({ item: { id: 1 } })], /bad\.jsonl:1: expected "sample" to be an object/],
    ["output_text not a string", [JSON.stringify({ item: { id: 1 }, sample: { output_text: 5 } })], /bad\.jsonl:1: expected "sample\.output_text" to be a string.*got number 5/],
  ];
  for (const [what, lines, message] of bad) {
    it(`names file:line for ${what}`, async () => {
      const path = write("bad.jsonl", lines);
      const err = await readReplayFile(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PolicyError);
      expect((err as PolicyError).code).toBe("replay_file");
      expect((err as PolicyError).message).toMatch(message);
    });
  }

  it("names the path when the file cannot be read", async () => {
    const err = await readReplayFile(join(dir, "nope.jsonl")).catch((e: unknown) => e);
    expect((err as PolicyError).code).toBe("replay_file");
    expect((err as PolicyError).message).toMatch(/nope\.jsonl: cannot read replay file \(ENOENT\)/);
  });
});

describe("ReplayPolicy", () => {
  it("fails with replay_exhausted naming the item when more samples are asked than exist", async () => {
    const p = await ReplayPolicy.fromFile(contractFile);
    const err = await p.generate([{ itemId: "q2", prompt: "", n: 2, sampleIndex: 2, params: {} }]).catch((e: unknown) => e);
    expect((err as PolicyError).code).toBe("replay_exhausted");
    expect((err as PolicyError).message).toMatch(/3 sample\(s\) for item "q2".*samples 2\.\.3/);
  });

  it("fails with replay_missing_item for an unknown item", async () => {
    const p = await ReplayPolicy.fromFile(contractFile);
    await expect(p.generate([{ itemId: "zzz", prompt: "", n: 1, params: {} }])).rejects.toMatchObject({
      code: "replay_missing_item",
      message: expect.stringContaining('"zzz"'),
    });
  });

  it("returns the replayed texts by sampleIndex and does not let callers corrupt them", async () => {
    const p = await ReplayPolicy.fromFile(contractFile);
    const [got] = await p.generate([{ itemId: "q3", prompt: "", n: 2, sampleIndex: 1, params: {} }]);
    expect(got!.map((c) => c.text)).toEqual(["two", "II"]);
    got!.length = 0;
    const [again] = await p.generate([{ itemId: "q3", prompt: "", n: 3, params: {} }]);
    expect(again!.map((c) => c.text)).toEqual(["2", "two", "II"]);
    expect(p.itemIds()).toEqual(["q1", "q2", "q3"]);
  });
});
