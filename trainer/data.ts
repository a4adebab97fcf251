// The data cursor: an endless stream of (task, sample) items, reshuffled each epoch from the run
// seed, whose whole state is {epoch, position} so a checkpoint can store it.
import type { Sample } from "../tasks/types.ts";
import { ConfigError } from "./config.ts";
import { mixSeed, Rng } from "./rng.ts";
import type { TrainTask } from "./types.ts";

export interface CursorState {
  epoch: number;
  position: number;
}

export interface Item {
  task: TrainTask;
  sample: Sample;
}

export class DataCursor {
  private order: Item[] = [];
  private readonly all: Item[];
  private readonly seed: number;
  state: CursorState;

  constructor(tasks: TrainTask[], seed: number, state: CursorState = { epoch: 0, position: 0 }) {
    this.seed = seed;
    this.all = tasks.flatMap((task) => task.train.map((sample) => ({ task, sample })));
    if (this.all.length === 0) throw new ConfigError("no training samples: every task's train split is empty");
    this.state = { ...state };
    this.shuffle();
  }

  private shuffle(): void {
    this.order = new Rng(mixSeed(this.seed, 0xda7a, this.state.epoch)).shuffle(this.all);
  }

  take(n: number): Item[] {
    const out: Item[] = [];
    while (out.length < n) {
      if (this.state.position >= this.order.length) {
        this.state = { epoch: this.state.epoch + 1, position: 0 };
        this.shuffle();
      }
      out.push(this.order[this.state.position++]!);
    }
    return out;
  }
}
