// Loading Hugging Face folders: sharded safetensors (model.safetensors.index.json) give the same
// model as one file; unsupported configs fail at start with invalid_request naming the field.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../trainer/engine/protocol.ts";
import { TorchEngine } from "../../trainer/engine/torch/client.ts";
import { startTiny, TINY_CONFIG, tinyModelDir } from "./tiny.ts";

const SPLIT = `
import json, os, sys
sys.path.insert(0, "trainer/engine/torch")
import safetensors_io as st
src, dst = sys.argv[1], sys.argv[2]
sd = st.load_file(os.path.join(src, "model.safetensors"))
names = sorted(sd)
half = len(names) // 2
wm = {}
for i, part in enumerate([names[:half], names[half:]]):
    f = f"model-{i + 1:05d}-of-00002.safetensors"
    st.save_file({n: sd[n].bfloat16() if n.endswith("norm.weight") else sd[n] for n in part}, os.path.join(dst, f))
    wm.update({n: f for n in part})
json.dump({"metadata": {}, "weight_map": wm}, open(os.path.join(dst, "model.safetensors.index.json"), "w"))
`;

describe("torch engine model folders", () => {
  it("sharded safetensors (with a bf16 shard entry) load like the single file", async () => {
    const src = tinyModelDir({ rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 } });
    const a = await startTiny(src, { seed: 21 });
    const whole = mkdtempSync(join(tmpdir(), "arbiter-whole-"));
    await a.export(whole, "safetensors");
    await a.close();
    const sharded = mkdtempSync(join(tmpdir(), "arbiter-sharded-"));
    writeFileSync(join(sharded, "config.json"), JSON.stringify({ ...TINY_CONFIG, rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 } }));
    await execa("/usr/bin/python3", ["-c", SPLIT, whole, sharded]);
    const batch = [{ prompt: [2, 3, 4], completion: [5, 6, 7, 8] }, { prompt: [9], completion: [10, 11] }];
    const one = await TorchEngine.start({ modelDir: whole, threads: 1 });
    const two = await TorchEngine.start({ modelDir: sharded, threads: 1 });
    const [x, y] = [await one.logprobs(batch), await two.logprobs(batch)];
    await one.close();
    await two.close();
    // norm weights are 1.0 at init, exact in bf16, so the two folders hold the same model
    x.flat().forEach((v, i) => expect(Math.abs(v - y.flat()[i]!)).toBeLessThan(1e-6));
    rmSync(sharded, { recursive: true, force: true });
  });

  for (const [field, overrides] of [
    ["hidden_act", { hidden_act: "gelu" }],
    ["rope_scaling", { rope_scaling: { type: "yarn", factor: 4 } }],
    ["vocab_size", { vocab_size: undefined }],
  ] as const) {
    it(`an unsupported or missing ${field} is invalid_request naming it`, async () => {
      let err: unknown;
      try {
        await (await startTiny(tinyModelDir(overrides))).close();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).code).toBe("invalid_request");
      expect((err as EngineError).message).toContain(field);
    });
  }
});
