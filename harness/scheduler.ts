// Bounded concurrency: at most `concurrency` jobs in flight; the first failure stops new starts.

export interface Scheduler {
  /** Runs every job with the bound; rejects with the first error after in-flight jobs settle. */
  runAll(jobs: Iterable<() => Promise<void>>, signal?: AbortSignal): Promise<void>;
}

export function createScheduler(concurrency: number): Scheduler {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
  }
  return {
    async runAll(jobs, signal) {
      const it = jobs[Symbol.iterator]();
      let failure: { error: unknown } | undefined;
      const worker = async (): Promise<void> => {
        for (;;) {
          if (failure !== undefined || signal?.aborted) return;
          const next = it.next();
          if (next.done === true) return;
          try {
            await next.value();
          } catch (error) {
            failure ??= { error };
            return;
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      if (failure !== undefined) throw failure.error;
      signal?.throwIfAborted();
    },
  };
}
