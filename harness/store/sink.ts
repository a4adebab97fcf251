// Buffers finished samples and writes them in batched transactions: at `flushEvery` samples, or
// `flushMs` after the first buffered one, whichever comes first, so a slow policy's samples
// still reach the disk within milliseconds while a fast one pays one commit per thousands.
import type { RunOptions, RunStore, SampleRecord } from "../types.ts";

export class SampleSink {
  readonly #store: RunStore;
  readonly #runId: string;
  readonly #opts: Pick<RunOptions, "flushEvery" | "flushMs">;
  readonly #timings: { storeMs: number };
  #buffer: SampleRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** A write error from a timer flush, rethrown on the next push or close. */
  #failure: unknown;

  constructor(store: RunStore, runId: string, opts: Pick<RunOptions, "flushEvery" | "flushMs">, timings: { storeMs: number }) {
    this.#store = store;
    this.#runId = runId;
    this.#opts = opts;
    this.#timings = timings;
  }

  push(records: readonly SampleRecord[]): void {
    this.#rethrow();
    for (const r of records) this.#buffer.push(r);
    if (this.#buffer.length >= this.#opts.flushEvery) this.flush();
    else this.#timer ??= setTimeout(() => {
      try {
        this.flush();
      } catch (e) {
        this.#failure ??= e;
      }
    }, this.#opts.flushMs);
  }

  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    const t0 = performance.now();
    this.#store.writeSamples(this.#runId, batch);
    this.#timings.storeMs += performance.now() - t0;
  }

  close(): void {
    this.flush();
    this.#rethrow();
  }

  #rethrow(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
