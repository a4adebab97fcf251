// Loads the solution and the tests in one global scope, then runs tests from argv[4] on,
// reporting each over fd 5. This process is the model's domain: the parent trusts only tokens.
import assertStrict from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";

const [testsPath, solutionPath, startArg] = process.argv.slice(2);
const start = Number(startArg);
const chan = new net.Socket({ fd: 5, readable: true, writable: true });
const send = (obj) => chan.write(typeof obj === "string" ? obj + "\n" : JSON.stringify(obj) + "\n");
const describe = (e) => { try { return `${e?.name ?? "Error"}: ${e?.message ?? String(e)}`.slice(0, 500); } catch { return "Error"; } };
const assertCopy = Object.freeze(Object.assign(function assert(v, m) { assertStrict.ok(v, m); }, assertStrict));
const tests = [];
let loadError;

try {
  globalThis.require = createRequire(path.join(path.dirname(solutionPath), "index.js"));
  vm.runInThisContext(fs.readFileSync(solutionPath, "utf8"), { filename: solutionPath });
} catch (e) {
  loadError = `solution failed to load: ${describe(e)}`;
}
try {
  // Defined after the solution ran, non-writable: the model can neither pre-register tests nor swap assert.
  Object.defineProperty(globalThis, "test", { value: (name, fn) => tests.push({ name: String(name), fn }), writable: false, configurable: false });
  Object.defineProperty(globalThis, "assert", { value: assertCopy, writable: false, configurable: false });
  vm.runInThisContext(fs.readFileSync(testsPath, "utf8"), { filename: testsPath });
} catch (e) {
  loadError ??= `tests failed to load: ${describe(e)}`;
}

let token;
let pending = "";
chan.on("data", async (d) => {
  if (token !== undefined) return;
  pending += d.toString("utf8");
  const nl = pending.indexOf("\n");
  if (nl < 0) return;
  token = pending.slice(0, nl);
  for (let i = start; i < tests.length; i++) {
    const t = tests[i];
    try {
      if (loadError) throw new Error(loadError);
      await t.fn();
      send({ index: i, name: t.name, ok: true, token });
    } catch (e) {
      send({ index: i, name: t.name, ok: false, error: describe(e) });
    }
  }
  chan.end(() => process.exit(0));
});
send("R");
