// A tiny arithmetic language for multi graders' calculate_output (OpenAI's operators and
// functions): numbers, names, + - * / ^, parentheses, min, max, abs, sqrt, log, exp, floor, ceil.
// Parsed by hand into an AST and evaluated over a Map, so no name can reach a JS object or
// prototype (no eval, no Function).

export class FormulaError extends Error {
  readonly code = "formula_parse";
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.name = "FormulaError";
    this.position = position;
  }
}

type Node =
  | { t: "num"; v: number }
  | { t: "var"; name: string }
  | { t: "neg"; arg: Node }
  | { t: "bin"; op: "+" | "-" | "*" | "/" | "^"; l: Node; r: Node }
  | { t: "call"; fn: string; args: Node[] };

const FUNCTIONS = new Map<string, { arity: [number, number]; fn: (...xs: number[]) => number }>([
  ["min", { arity: [1, Infinity], fn: Math.min }],
  ["max", { arity: [1, Infinity], fn: Math.max }],
  ["abs", { arity: [1, 1], fn: Math.abs }],
  ["sqrt", { arity: [1, 1], fn: Math.sqrt }],
  ["log", { arity: [1, 1], fn: Math.log }],
  ["exp", { arity: [1, 1], fn: Math.exp }],
  ["floor", { arity: [1, 1], fn: Math.floor }],
  ["ceil", { arity: [1, 1], fn: Math.ceil }],
]);

export const FORMULA_FUNCTIONS = [...FUNCTIONS.keys()];
const MAX_LENGTH = 2000;
const MAX_DEPTH = 64;

interface Token {
  kind: "num" | "name" | "op";
  text: string;
  pos: number;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/^(),]))/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) {
      const at = pos + (src.slice(pos).length - src.slice(pos).trimStart().length);
      throw new FormulaError(`unexpected character ${JSON.stringify(src[at])}`, at);
    }
    const start = re.lastIndex - m[0].trimStart().length;
    if (m[1] !== undefined) tokens.push({ kind: "num", text: m[1], pos: start });
    else if (m[2] !== undefined) tokens.push({ kind: "name", text: m[2], pos: start });
    else tokens.push({ kind: "op", text: m[3] ?? "", pos: start });
    pos = re.lastIndex;
  }
  return tokens;
}

function parse(src: string, names: ReadonlySet<string>): Node {
  if (src.length > MAX_LENGTH) throw new FormulaError(`formula longer than ${MAX_LENGTH} characters`, MAX_LENGTH);
  const tokens = tokenize(src);
  let i = 0;
  let depth = 0;
  const peek = () => tokens[i];
  const isOp = (text: string) => peek()?.kind === "op" && peek()?.text === text;
  const expect = (text: string) => {
    const tok = peek();
    if (tok?.kind !== "op" || tok.text !== text) {
      throw new FormulaError(`expected "${text}" but found ${tok ? JSON.stringify(tok.text) : "the end"}`, tok?.pos ?? src.length);
    }
    i++;
  };
  const nested = <T>(f: () => T): T => {
    if (++depth > MAX_DEPTH) throw new FormulaError(`nesting deeper than ${MAX_DEPTH}`, peek()?.pos ?? src.length);
    try {
      return f();
    } finally {
      depth--;
    }
  };

  const expr = (): Node =>
    nested(() => {
      let left = term();
      while (isOp("+") || isOp("-")) {
        const op = (tokens[i++]?.text ?? "+") as "+" | "-";
        left = { t: "bin", op, l: left, r: term() };
      }
      return left;
    });
  const term = (): Node => {
    let left = unary();
    while (isOp("*") || isOp("/")) {
      const op = (tokens[i++]?.text ?? "*") as "*" | "/";
      left = { t: "bin", op, l: left, r: unary() };
    }
    return left;
  };
  const unary = (): Node =>
    nested(() => {
      if (isOp("-")) {
        i++;
        return { t: "neg", arg: unary() };
      }
      if (isOp("+")) {
        i++;
        return unary();
      }
      return power();
    });
  // ^ is right-associative and binds tighter than unary minus: -2^2 = -4.
  const power = (): Node => {
    const base = primary();
    if (isOp("^")) {
      i++;
      return { t: "bin", op: "^", l: base, r: unary() };
    }
    return base;
  };
  const primary = (): Node => {
    const tok = peek();
    if (!tok) throw new FormulaError("unexpected end of formula", src.length);
    i++;
    if (tok.kind === "num") return { t: "num", v: Number(tok.text) };
    if (tok.kind === "name") {
      if (isOp("(")) {
        const def = FUNCTIONS.get(tok.text);
        if (!def) throw new FormulaError(`unknown function "${tok.text}" (allowed: ${FORMULA_FUNCTIONS.join(", ")})`, tok.pos);
        i++;
        const args: Node[] = [];
        if (!isOp(")")) {
          args.push(expr());
          while (isOp(",")) {
            i++;
            args.push(expr());
          }
        }
        expect(")");
        const [lo, hi] = def.arity;
        if (args.length < lo || args.length > hi) {
          throw new FormulaError(`${tok.text}() takes ${lo === hi ? lo : `at least ${lo}`} argument${lo === 1 && hi === 1 ? "" : "s"}, got ${args.length}`, tok.pos);
        }
        return { t: "call", fn: tok.text, args };
      }
      if (!names.has(tok.text)) {
        throw new FormulaError(`unknown name "${tok.text}" (known: ${[...names].join(", ") || "none"})`, tok.pos);
      }
      return { t: "var", name: tok.text };
    }
    if (tok.text === "(") {
      const inner = expr();
      expect(")");
      return inner;
    }
    throw new FormulaError(`unexpected ${JSON.stringify(tok.text)}`, tok.pos);
  };

  if (tokens.length === 0) throw new FormulaError("empty formula", 0);
  const root = expr();
  const rest = peek();
  if (rest) throw new FormulaError(`unexpected ${JSON.stringify(rest.text)}`, rest.pos);
  return root;
}

function evaluate(node: Node, vars: ReadonlyMap<string, number>): number {
  switch (node.t) {
    case "num":
      return node.v;
    case "var": {
      const v = vars.get(node.name);
      if (v === undefined) throw new FormulaError(`no value for "${node.name}"`, 0);
      return v;
    }
    case "neg":
      return -evaluate(node.arg, vars);
    case "bin": {
      const l = evaluate(node.l, vars);
      const r = evaluate(node.r, vars);
      if (node.op === "+") return l + r;
      if (node.op === "-") return l - r;
      if (node.op === "*") return l * r;
      if (node.op === "/") return l / r;
      return l ** r;
    }
    case "call": {
      const def = FUNCTIONS.get(node.fn);
      if (!def) throw new FormulaError(`unknown function "${node.fn}"`, 0);
      return def.fn(...node.args.map((a) => evaluate(a, vars)));
    }
  }
}

export interface Formula {
  readonly source: string;
  evaluate(vars: ReadonlyMap<string, number>): number;
}

/** Parses `source`, allowing only the given variable names; throws FormulaError naming the spot. */
export function compileFormula(source: string, names: Iterable<string>): Formula {
  const root = parse(source, new Set(names));
  return { source, evaluate: (vars) => evaluate(root, vars) };
}
