// A progress bar on stderr when it is a terminal; nothing otherwise (CI logs stay clean).
import cliProgress from "cli-progress";
import type { RunProgress } from "../harness/types.ts";

export interface ProgressReporter {
  update(p: RunProgress): void;
  stop(): void;
}

export function progressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (stream.isTTY !== true) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream, format: "{bar} {percentage}% | {value}/{total} samples | {task} | ETA {eta_formatted}", hideCursor: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      if (!started) {
        bar.start(p.total, p.done, { task: p.task });
        started = true;
      } else bar.update(p.done, { task: p.task });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
