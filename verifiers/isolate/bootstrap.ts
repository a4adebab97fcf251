// Source of the script that runs inside every isolate before the user's grader. It owns the
// per-call loop: parse copied JSON inputs, call grade(), encode results as capped JSON text.
// Nothing here is trusted by the host: the host re-validates every string that comes out.

/** Globals the bootstrap defines (read once by the worker, before user code runs). */
export const RUN = "__arbiter_run";
export const COLLECT = "__arbiter_collect";
export const BIND = "__arbiter_bind";

export function bootstrapSource(maxResultChars: number): string {
  return `(function (g) {
  "use strict";
  const parse = JSON.parse, stringify = JSON.stringify, isFinite = Number.isFinite;
  const resolve = Promise.resolve.bind(Promise), then = Promise.prototype.then, apply = Reflect.apply;
  const objProto = Object.prototype, arrProto = Array.prototype;
  const getProto = Object.getPrototypeOf, ownKeys = Reflect.ownKeys, getDesc = Reflect.getOwnPropertyDescriptor;
  const MAX = ${Math.floor(maxResultChars)};
  let grade = null;
  let results = null;

  // Reads a string data property along the prototype chain without running getters.
  function dataString(o, key) {
    for (let i = 0; o !== null && i < 8; i++, o = getProto(o)) {
      const d = getDesc(o, key);
      if (d) return "value" in d && typeof d.value === "string" ? d.value : null;
    }
    return null;
  }

  function describe(e) {
    try {
      if (e === null) return "threw null";
      const t = typeof e;
      if (t === "string") return e.slice(0, 2000);
      if (t !== "object" && t !== "function") return "threw " + t + ": " + String(e).slice(0, 200);
      const msg = dataString(e, "message");
      if (msg !== null) return ((dataString(e, "name") ?? "Error") + ": " + msg).slice(0, 2000);
      return "threw a non-Error " + t;
    } catch (_) {
      return "threw a value that could not be described";
    }
  }

  function plainData(v, depth) {
    if (v === null || typeof v !== "object") return true;
    if (depth > 32) return false;
    const p = getProto(v);
    if (p !== objProto && p !== arrProto && p !== null) return false;
    for (const k of ownKeys(v)) {
      if (typeof k === "symbol") return false;
      const d = getDesc(v, k);
      if (!d || !("value" in d)) return false;
      if (typeof d.value === "function") return false;
      if (!plainData(d.value, depth + 1)) return false;
    }
    return true;
  }

  function encode(v) {
    const t = typeof v;
    if (t === "number") return isFinite(v) ? [1, stringify(v)] : [0, "grader returned a non-finite number (" + String(v) + ")"];
    if (t === "boolean") return [1, v ? "true" : "false"];
    if (t === "object" && v !== null) {
      const s = stringify(v);
      if (typeof s !== "string") return [0, "grader returned a value JSON cannot encode"];
      if (s.length > MAX) return [0, "grader result is " + s.length + " characters, over the cap of " + MAX];
      if (!plainData(v, 0)) return [0, "grader returned an object with getters, functions, symbols or a non-plain prototype"];
      return [1, s];
    }
    return [0, "grader returned " + (v === null ? "null" : t) + "; expected a number, a boolean or {score, reason?}"];
  }

  g.${BIND} = function (f) {
    if (typeof f !== "function") return "the code must define a function grade(sample, item)";
    grade = f;
    return "";
  };

  g.${RUN} = function (batchJson) {
    const calls = parse(batchJson);
    const n = calls.length;
    const out = new Array(n);
    let pending = 0;
    for (let i = 0; i < n; i++) {
      try {
        const v = grade(parse(calls[i][0]), parse(calls[i][1]));
        if (v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function") {
          out[i] = null;
          pending++;
          apply(then, resolve(v), [(ok) => { out[i] = encode(ok); }, (err) => { out[i] = [2, describe(err)]; }]);
        } else {
          out[i] = encode(v);
        }
      } catch (e) {
        out[i] = [2, describe(e)];
      }
    }
    if (pending === 0) return stringify(out);
    results = out;
    return n;
  };

  // Called after the microtask queue has drained; a promise still pending here can never settle
  // (the isolate has no timers or I/O), so its slot stays null.
  g.${COLLECT} = function () {
    const s = stringify(results);
    results = null;
    return s;
  };
})(globalThis);`;
}
