import { describe, expect, it } from "vitest";
import { fuzzyRatio, rougeL, rougeN, sentenceBleu, sentenceGleu, tokenize13a, tokenizeRouge } from "../../verifiers/text-metrics.ts";
import { grade } from "./helpers.ts";

const HYP = "the cat sat on the mat";
const REF = "the cat is on the mat";

describe("fuzzy_match (rapidfuzz fuzz.ratio / 100)", () => {
  it("kitten / sitting: LCS 'ittn' = 4, 2*4/(6+7) = 8/13", () => {
    expect(fuzzyRatio("kitten", "sitting")).toBeCloseTo(8 / 13, 12);
  });
  it("edge cases and code points", () => {
    expect(fuzzyRatio("", "")).toBe(1);
    expect(fuzzyRatio("abc", "")).toBe(0);
    expect(fuzzyRatio("abc", "abc")).toBe(1);
    // one emoji is one code point: LCS 1 of lengths 2 and 2 -> 0.5 (UTF-16 units would give 4/6)
    expect(fuzzyRatio("😀a", "😀b")).toBe(0.5);
  });
});

describe("BLEU (sentence, sacreBLEU defaults)", () => {
  it("hand-computed: p1 = 5/6, p2 = 3/5, p3 = 1/4, p4 = 0/3 -> exp-smoothed 1/(2*3); BP = 1", () => {
    // 1-grams: the x2, cat, on, mat match (sat does not): 5/6.
    // 2-grams: the cat, on the, the mat of {the cat, cat sat, sat on, on the, the mat}: 3/5.
    // 3-grams: on the mat of 4: 1/4.  4-grams: none of 3 -> 1/(2^1 * 3) = 1/6.
    // BLEU = (5/6 * 3/5 * 1/4 * 1/6)^(1/4) = (1/48)^(1/4).
    expect(sentenceBleu(HYP, REF)).toBeCloseTo((1 / 48) ** 0.25, 12);
  });
  it("short hypothesis: effective order 2 and brevity penalty exp(1 - 6/2)", () => {
    // "the cat": p1 = 2/2, p2 = 1/1, no 3-grams -> order 2; c = 2 < r = 6.
    expect(sentenceBleu("the cat", REF)).toBeCloseTo(Math.exp(-2), 12);
  });
  it("identity, empty, and 13a punctuation splitting", () => {
    expect(sentenceBleu(REF, REF)).toBe(1);
    expect(sentenceBleu("", REF)).toBe(0);
    expect(sentenceBleu("Hello, world!", "Hello , world !")).toBe(1);
    expect(tokenize13a("It costs $3,000.50 - ok.")).toEqual(["It", "costs", "$", "3,000.50", "-", "ok", "."]);
    expect(tokenize13a("don't 3-4")).toEqual(["don't", "3", "-", "4"]);
  });
});

describe("GLEU", () => {
  it("hand-computed: matches 5+3+1+0 = 9 over max(18, 18) n-grams", () => {
    expect(sentenceGleu(HYP, REF)).toBe(0.5);
  });
  it("is symmetric in the totals: short hypothesis divides by the reference's 18 n-grams", () => {
    // "the cat": matches 2 (1-grams) + 1 (2-gram) = 3; hyp total 3, ref total 6+5+4+3 = 18.
    expect(sentenceGleu("the cat", REF)).toBeCloseTo(3 / 18, 12);
  });
});

describe("ROUGE (F-measure, rouge_score tokenisation)", () => {
  it("hand-computed ROUGE-1, -2, -3, -L", () => {
    // unigram overlap 5, P = R = 5/6; bigram overlap 3, P = R = 3/5; trigram 1 of 4;
    // LCS "the cat on the mat" = 5 tokens, P = R = 5/6.
    expect(rougeN(HYP, REF, 1)).toBeCloseTo(5 / 6, 12);
    expect(rougeN(HYP, REF, 2)).toBeCloseTo(3 / 5, 12);
    expect(rougeN(HYP, REF, 3)).toBeCloseTo(1 / 4, 12);
    expect(rougeL(HYP, REF)).toBeCloseTo(5 / 6, 12);
  });
  it("asymmetric lengths: P = 1, R = 2/6, F = 2PR/(P+R) = 0.5", () => {
    expect(rougeN("the cat", REF, 1)).toBeCloseTo(0.5, 12);
    expect(rougeL("the cat", REF)).toBeCloseTo(0.5, 12);
    expect(rougeN("the cat", REF, 5)).toBe(0);
  });
  it("lowercases and drops punctuation; keeps non-ASCII letters", () => {
    expect(rougeN("The CAT!", "the cat", 1)).toBe(1);
    expect(tokenizeRouge("Café, naïve — 東京")).toEqual(["café", "naïve", "東京"]);
  });
});

describe("similarity verifier", () => {
  it("reward is the score; pass follows pass_threshold; best of several references", async () => {
    const v = await grade({ type: "similarity", metric: "rouge_1", pass_threshold: 0.8 }, HYP, REF);
    expect(v.reward).toBeCloseTo(5 / 6, 12);
    expect(v.pass).toBe(true);
    const strict = await grade({ type: "similarity", metric: "rouge_1" }, HYP, REF);
    expect(strict.pass).toBe(false);
    const multi = await grade({ type: "similarity", metric: "fuzzy_match" }, "kitten", ["dog", "sitting"]);
    expect(multi.reward).toBeCloseTo(8 / 13, 12);
    expect(multi.details?.["scores"]).toHaveLength(2);
  });
});
