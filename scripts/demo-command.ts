// `arbiter demo` (registered in cli/commands/index.ts). The demo module and its model runtimes are
// imported only when the command runs.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../cli/errors.ts";

export const demoCommand = {
  register(program: Command): void {
    program
      .command("demo")
      .description("eval -> GRPO -> eval on the bundled tiny model; prints the paired advantage and a reward curve")
      .option("--model <dir>", "model folder (HF layout with onnx/ and model.safetensors)")
      .option("--out <dir>", "output folder (run store, fine-tuned model, reward-curve.html)", ".arbiter/demo")
      .option("--steps <n>", "GRPO steps")
      .option("--lr <x>", "GRPO learning rate")
      .option("--python <path>", "python with torch for the engine worker (default /usr/bin/python3)")
      .action(async (flags: { model?: string; out: string; steps?: string; lr?: string; python?: string }) => {
        const { runDemo, DEMO_DEFAULTS, BUNDLED_MODEL } = await import("./demo.ts");
        const steps = flags.steps === undefined ? DEMO_DEFAULTS.steps : Number(flags.steps);
        if (!Number.isInteger(steps) || steps < 1) throw new UsageError("bad_flag", `--steps: expected a positive integer, got ${flags.steps}`);
        const learningRate = flags.lr === undefined ? DEMO_DEFAULTS.learningRate : Number(flags.lr);
        if (!(Number.isFinite(learningRate) && learningRate > 0)) throw new UsageError("bad_flag", `--lr: expected a positive number, got ${flags.lr}`);
        if (flags.python !== undefined && !existsSync(flags.python)) {
          throw new UsageError("bad_flag", `--python: ${flags.python}: no such file (expected a python with torch)`);
        }
        const modelDir = resolve(flags.model ?? BUNDLED_MODEL);
        const need = [["config.json"], ["model.safetensors", "model.safetensors.index.json"], [join("onnx", "model.onnx")]];
        for (const alternatives of need) {
          if (!alternatives.some((f) => existsSync(join(modelDir, f)))) {
            throw new UsageError("bad_flag", `--model: ${modelDir} has no ${alternatives.join(" or ")} (expected a Hugging Face layout folder with safetensors weights and an ONNX export)`);
          }
        }
        await runDemo({
          ...DEMO_DEFAULTS, steps, learningRate,
          modelDir,
          outDir: resolve(flags.out),
          ...(flags.python ? { python: flags.python } : {}),
        });
      });
  },
};
