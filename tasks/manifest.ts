// Reads suite.yaml / suite.json with source positions, and validates it against the manifest schema.
import { readFile } from "node:fs/promises";
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import { invalid, type SourcePosition } from "./errors.ts";
import { jsonErrorOffset } from "./json-position.ts";
import { firstProblem, formatPath, manifestSchema, type Manifest, type PathKey } from "./schema.ts";

/** A parsed manifest that can point back at the line and column of any field. */
export class ManifestSource {
  readonly file: string;
  private readonly doc: Document;
  private readonly lines: LineCounter;
  constructor(file: string, doc: Document, lines: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
  }

  private at(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  /** Position of the value at `path`; for a key that is absent, of the nearest existing parent;
   *  with `key`, of the key itself (used for unknown fields). */
  position(path: readonly PathKey[], key = false): SourcePosition {
    for (let n = path.length; n >= 0; n--) {
      const prefix = path.slice(0, n);
      if (key && n === path.length && n > 0) {
        const parent = this.doc.getIn(prefix.slice(0, -1), true);
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === path[n - 1]);
          if (pair && isNode(pair.key) && pair.key.range) return this.at(pair.key.range[0]);
        }
        continue;
      }
      const node = n === 0 ? this.doc.contents : this.doc.getIn(prefix, true);
      if (isNode(node) && node.range) return this.at(node.range[0]);
    }
    return { file: this.file };
  }

  toJS(): unknown {
    return this.doc.toJS();
  }
}

export async function readManifest(absPath: string, displayPath: string): Promise<{ manifest: Manifest; source: ManifestSource }> {
  const text = await readFile(absPath, "utf8");
  const lines = new LineCounter();
  if (absPath.endsWith(".json")) {
    try {
      JSON.parse(text);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const offset = jsonErrorOffset(text);
      const where: SourcePosition = offset < 0 ? { file: displayPath } : { file: displayPath, ...lineCol(text, offset) };
      throw invalid(where, undefined, `invalid JSON: ${msg.replace(/\s*\(line \d+ column \d+\)/, "")}`);
    }
  }
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0];
    const where: SourcePosition = pos ? { file: displayPath, line: pos.line, column: pos.col } : { file: displayPath };
    throw invalid(where, undefined, `invalid YAML: ${(syntax.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?\s*$/, "")}`);
  }
  const source = new ManifestSource(displayPath, doc, lines);
  const raw = source.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw invalid({ file: displayPath }, undefined, "expected a mapping with name, version and tasks");
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const p = firstProblem(parsed.error, raw);
    const unknownKey = p.what.startsWith("unknown field");
    throw invalid(source.position(p.path, unknownKey), formatPath(p.path), p.what);
  }
  return { manifest: parsed.data, source };
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}
