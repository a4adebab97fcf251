// Replay policy: grades completions that already exist, read from JSONL in the shape of OpenAI's
// eval `jsonl` data source: one line `{"item": {...}, "sample": {"output_text": "..."}}` per
// sample; several lines for the same item form its group, in file order.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { PolicyError, type Completion, type GenerateRequest, type Policy } from "./types.ts";

export interface ReplayItem {
  /** See `replayItemId`. */
  id: string;
  item: Record<string, unknown>;
  /** The replayed completions, in file order. */
  outputs: string[];
}

/**
 * The id a replayed item is matched by: `item.id` when it is a string or a finite number
 * (as a string), otherwise `sha256:` + the first 32 hex digits of SHA-256 over the item's
 * canonical JSON (object keys sorted at every depth). The harness uses the same function when it
 * turns a replay file into a dataset, so requests and replayed samples line up.
 */
export function replayItemId(item: Record<string, unknown>): string {
  const id = item["id"];
  if (typeof id === "string") return id;
  if (typeof id === "number" && Number.isFinite(id)) return String(id);
  return "sha256:" + createHash("sha256").update(canonicalJson(item)).digest("hex").slice(0, 32);
}

/** JSON with object keys sorted, so two equal items hash the same whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(obj[k])).join(",") + "}";
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function lineError(file: string, line: number, what: string): PolicyError {
  return new PolicyError("replay_file", `${file}:${line}: ${what}`);
}

/** The completion text of one line: `sample.output_text`, or else the last message's string
 *  `content` in `sample.output` (the shape OpenAI's output items use). */
function sampleText(sample: unknown, file: string, line: number): string {
  if (!isObject(sample)) {
    throw lineError(file, line, `expected "sample" to be an object with a string "output_text", got ${describe(sample)}`);
  }
  const text = sample["output_text"];
  if (typeof text === "string") return text;
  const output = sample["output"];
  if (Array.isArray(output) && output.length > 0) {
    const last: unknown = output[output.length - 1];
    if (isObject(last) && typeof last["content"] === "string") return last["content"];
  }
  throw lineError(
    file,
    line,
    `expected "sample.output_text" to be a string (or "sample.output" to end with a message whose "content" is a string), got ${describe(text)}`,
  );
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? `a string` : `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}

/**
 * Streams a replay JSONL file and groups its lines by item id, in order of first appearance.
 * Blank lines are skipped. Errors are PolicyError("replay_file") naming `file:line`.
 */
export async function readReplayFile(path: string): Promise<ReplayItem[]> {
  const byId = new Map<string, ReplayItem>();
  const items: ReplayItem[] = [];
  let lineNo = 0;
  let rest = "";
  const handle = (line: string) => {
    lineNo++;
    // Trailing "\r" and surrounding blanks are harmless to JSON.parse; only skip empty lines.
    if (line.length === 0 || (line.length < 3 && line.trim() === "")) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw lineError(path, lineNo, `invalid JSON (${(err as Error).message})`);
    }
    if (!isObject(row)) throw lineError(path, lineNo, `expected a JSON object {"item": {...}, "sample": {...}}, got ${describe(row)}`);
    const item = row["item"];
    if (!isObject(item)) throw lineError(path, lineNo, `expected "item" to be an object, got ${describe(item)}`);
    const text = sampleText(row["sample"], path, lineNo);
    const id = replayItemId(item);
    let entry = byId.get(id);
    if (entry === undefined) {
      entry = { id, item, outputs: [] };
      byId.set(id, entry);
      items.push(entry);
    }
    entry.outputs.push(text);
  };

  const stream = createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let start = 0;
      let nl = chunk.indexOf("\n");
      if (nl !== -1 && rest.length > 0) {
        handle(rest + chunk.slice(0, nl));
        rest = "";
        start = nl + 1;
        nl = chunk.indexOf("\n", start);
      }
      while (nl !== -1) {
        handle(chunk.slice(start, nl));
        start = nl + 1;
        nl = chunk.indexOf("\n", start);
      }
      rest += chunk.slice(start);
    }
  } catch (err) {
    if (err instanceof PolicyError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new PolicyError("replay_file", `${path}: cannot read replay file (${e.code ?? e.message})`, { cause: err });
  } finally {
    stream.destroy();
  }
  if (rest.length > 0) handle(rest);
  return items;
}

/** Returns, for each request, the replayed outputs [sampleIndex, sampleIndex + n) of its item.
 *  Completions are built once at load time and shared (frozen), so replay allocates only the
 *  per-request arrays. Seeds and sampling params are ignored: a replay is what it is. */
export class ReplayPolicy implements Policy {
  readonly id: string;
  readonly #completions = new Map<string, readonly Completion[]>();

  constructor(items: readonly ReplayItem[], id = "replay") {
    this.id = id;
    for (const it of items) {
      const done = it.outputs.map((text) => Object.freeze<Completion>({ text, finishReason: "stop" }));
      const prev = this.#completions.get(it.id);
      this.#completions.set(it.id, prev ? [...prev, ...done] : done);
    }
  }

  static async fromFile(path: string): Promise<ReplayPolicy> {
    return new ReplayPolicy(await readReplayFile(path), `replay:${path}`);
  }

  /** Item ids in the order they were loaded. */
  itemIds(): string[] {
    return [...this.#completions.keys()];
  }

  async generate(requests: GenerateRequest[], signal?: AbortSignal): Promise<Completion[][]> {
    signal?.throwIfAborted();
    const out: Completion[][] = new Array(requests.length);
    for (let r = 0; r < requests.length; r++) {
      const req = requests[r]!;
      const all = this.#completions.get(req.itemId);
      if (all === undefined) {
        throw new PolicyError("replay_missing_item", `replay has no samples for item "${req.itemId}" (${this.id})`);
      }
      const from = req.sampleIndex ?? 0;
      const to = from + req.n;
      if (to > all.length) {
        throw new PolicyError(
          "replay_exhausted",
          `replay has ${all.length} sample(s) for item "${req.itemId}" but the request asked for samples ${from}..${to - 1} (${this.id})`,
        );
      }
      out[r] = all.slice(from, to);
    }
    return out;
  }

  async close(): Promise<void> {}
}
