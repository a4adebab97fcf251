// Arbiter's JavaScript test runner (harness-owned, mounted read-only). Never loads model code.
// Test names are discovered here by evaluating the test file without the solution; a worker
// process (js_worker.mjs) loads solution + tests and reports each result with a token this
// parent sends after loading. The worker never holds fds 3/4 (libuv closes them: 'ignore').
// argv: tests.js solution.js worker.mjs perTestMs budgetMs heapMb
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import vm from "node:vm";

const [testsPath, solutionPath, workerPath, perTestMs, budgetMs, heapMb] = process.argv.slice(2);
const started = Date.now();
const MAX_ERR = 500;

function discover(source) {
  const names = [];
  const noop = new Proxy(function () {}, { get: () => noop, apply: () => noop });
  const ctx = vm.createContext({ test: (name) => names.push(String(name)), assert: noop, require: () => noop, console: { log() {}, error() {} } });
  vm.runInContext(source, ctx, { filename: testsPath, timeout: 2000 });
  return names;
}

function runWorker(start, names) {
  return new Promise((resolve) => {
    const token = randomBytes(16).toString("hex");
    const w = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, workerPath, testsPath, solutionPath, String(start)], {
      stdio: ["ignore", "inherit", "inherit", "ignore", "ignore", "pipe"],
      detached: true,
    });
    const chan = w.stdio[5];
    const results = [];
    let buf = "";
    let timer;
    let done = false;
    const finish = (why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try { process.kill(-w.pid, "SIGKILL"); } catch {}
      try { w.kill("SIGKILL"); } catch {}
      resolve({ results, why });
    };
    const arm = () => {
      clearTimeout(timer);
      const left = Math.min(Number(perTestMs), started + Number(budgetMs) - Date.now());
      timer = setTimeout(() => finish("timeout"), Math.max(0, left));
    };
    arm();
    chan.on("data", (d) => {
      buf += d.toString("utf8");
      if (buf.length > 1 << 20) return finish("result message too large");
      let nl;
      while (!done && (nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === "R") { chan.write(token + "\n"); continue; }
        let msg;
        try { msg = JSON.parse(line); } catch { return finish("malformed result message"); }
        const i = start + results.length;
        if (msg?.index !== i || msg?.name !== names[i]) return finish(`out-of-order result for ${JSON.stringify(names[i])}`);
        const ok = msg.ok === true && msg.token === token;
        results.push({ name: names[i], passed: ok, error: ok ? null : String(msg.error ?? "no valid pass token").slice(0, MAX_ERR) });
        if (start + results.length >= names.length) return finish("done");
        arm();
      }
    });
    chan.on("error", () => {});
    w.on("exit", () => setTimeout(() => finish("exited without reporting a result"), 20));
  });
}

const report = { tests: [] };
let names = [];
try {
  names = discover(fs.readFileSync(testsPath, "utf8"));
} catch (e) {
  report.error = `test file does not load without the solution: ${String(e?.message ?? e).slice(0, MAX_ERR)}`;
}
report.discovered = names.length;
let next = 0;
while (next < names.length) {
  if (Date.now() - started >= Number(budgetMs)) {
    for (; next < names.length; next++) report.tests.push({ name: names[next], passed: false, error: "not run: time budget exhausted" });
    break;
  }
  const { results, why } = await runWorker(next, names);
  report.tests.push(...results);
  next += results.length;
  if (next < names.length) {
    report.tests.push({ name: names[next], passed: false, error: why });
    next++;
  }
}
report.secret = fs.readFileSync(3, "utf8");
fs.writeSync(4, JSON.stringify(report));
fs.closeSync(4);
process.exit(0);
