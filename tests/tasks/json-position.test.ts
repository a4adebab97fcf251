import { describe, expect, it } from "vitest";
import { jsonErrorOffset } from "../../tasks/json-position.ts";

describe("jsonErrorOffset", () => {
  const valid = ['{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"],"b":{}}', "[]", ' "s" ', "0", '{"k": [ {"n": [[]]} ]}'];
  it("agrees with JSON.parse on valid documents", () => {
    for (const text of valid) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(jsonErrorOffset(text)).toBe(-1);
    }
  });

  it("every strict prefix and every one-character corruption that JSON.parse rejects is located", () => {
    const doc = valid[0]!;
    for (let cut = 0; cut < doc.length; cut++) {
      const text = doc.slice(0, cut);
      let ok = true;
      try {
        JSON.parse(text);
      } catch {
        ok = false;
      }
      const at = jsonErrorOffset(text);
      if (ok) expect(at).toBe(-1);
      else expect(at >= 0 && at <= text.length).toBe(true);
    }
    for (let k = 0; k < doc.length; k++) {
      for (const ch of ["}", "x", ",", '"']) {
        const text = doc.slice(0, k) + ch + doc.slice(k + 1);
        let ok = true;
        try {
          JSON.parse(text);
        } catch {
          ok = false;
        }
        expect(jsonErrorOffset(text) === -1, text).toBe(ok);
      }
    }
  });

  it("points at the offending character", () => {
    expect(jsonErrorOffset('{"a": q}')).toBe(6);
    expect(jsonErrorOffset("[1,]")).toBe(3);
    expect(jsonErrorOffset('{"a":1} x')).toBe(8);
    expect(jsonErrorOffset("01")).toBe(1);
  });
});
