import { describe, expect, it } from "vitest";
import { applyNormalizers, canonicalNumber, toAsciiDigits, type NormalizerName } from "../../verifiers/normalize.ts";
import { grade } from "./helpers.ts";

// Each row: model output, reference, normalisers, expected pass under exact_match.
const TRAPS: Array<[label: string, output: string, reference: string, normalize: NormalizerName[], pass: boolean]> = [
  ["fullwidth digits, raw", "４２", "42", [], false],
  ["fullwidth digits, nfkc", "４２", "42", ["nfkc"], true],
  ["fullwidth digits, numeric", "４２", "42", ["numeric"], true],
  ["Arabic-Indic digits, nfkc alone (NFKC keeps them)", "٤٢", "42", ["nfkc"], false],
  ["Arabic-Indic digits, numeric", "٤٢", "42", ["numeric"], true],
  ["Devanagari digits, numeric", "४२", "42", ["numeric"], true],
  ["NBSP inside, raw", "New\u00A0York", "New York", [], false],
  ["NBSP inside, whitespace", "New\u00A0York", "New York", ["whitespace"], true],
  ["NBSP inside, nfkc (NFKC maps NBSP to space)", "New\u00A0York", "New York", ["nfkc"], true],
  ["zero-width space in word, raw", "pay\u200Bpal", "paypal", [], false],
  ["zero-width space in word, nfkc (NFKC keeps it)", "pay\u200Bpal", "paypal", ["nfkc"], false],
  ["zero-width space in word, whitespace", "pay\u200Bpal", "paypal", ["whitespace"], true],
  ["zero-width joiner in word, whitespace", "pay\u200Dpal", "paypal", ["whitespace"], true],
  ["BOM and word joiner, whitespace", "\uFEFFpay\u2060pal", "paypal", ["whitespace"], true],
  ["Cyrillic а in paypal, all default normalisers", "p\u0430ypal", "paypal", ["nfkc", "whitespace", "trim", "case"], false],
  ["Cyrillic а in paypal, confusables", "p\u0430ypal", "paypal", ["confusables"], true],
  ["Cyrillic е/о, confusables", "h\u0435ll\u043E", "hello", ["confusables"], true],
  ["Greek ο, confusables", "g\u03BFogle", "google", ["confusables"], true],
  ["Cyrillic о, case does not hide it", "G\u041EOGLE", "google", ["case"], false],
  ["CRLF vs LF, raw", "a\r\nb", "a\nb", [], false],
  ["CRLF vs LF, whitespace", "a\r\nb", "a\nb", ["whitespace"], true],
  ["line structure kept by whitespace", "a b", "a\nb", ["whitespace"], false],
  ["runs of spaces and tabs, whitespace", "a \t  b", "a b", ["whitespace"], true],
  ["-0 vs 0, raw", "-0", "0", [], false],
  ["-0 vs 0, numeric", "-0", "0", ["numeric"], true],
  ["-0.0 vs 0, numeric", "-0.0", "0", ["numeric"], true],
  ["1e3 vs 1000, numeric", "1e3", "1000", ["numeric"], true],
  ["1.5E-2 vs 0.015, numeric", "1.5E-2", "0.015", ["numeric"], true],
  ["trailing .0, numeric", "5.0", "5", ["numeric"], true],
  ["trailing .0, raw", "5.0", "5", [], false],
  ["leading +, numeric", "+5", "5", ["numeric"], true],
  ["grouped thousands, numeric", "1,000", "1000", ["numeric"], true],
  ["European decimal comma stays text", "1,5", "1.5", ["numeric"], false],
  ["leading zeros, numeric", "007", "7", ["numeric"], true],
  ["different numbers stay different", "5.01", "5", ["numeric"], false],
  ["NFD é vs NFC é, raw", "caf\u0065\u0301", "caf\u00E9", [], false],
  ["NFD é vs NFC é, nfkc", "caf\u0065\u0301", "caf\u00E9", ["nfkc"], true],
  ["case fold ß vs SS", "STRASSE", "straße", ["case"], true],
  ["surrounding space, trim", "  Paris \n", "Paris", ["trim"], true],
  ["surrounding NBSP, trim", "\u00A0Paris\u3000", "Paris", ["trim"], true],
];

describe("Unicode trap table (exact_match)", () => {
  it.each(TRAPS)("%s", async (_label, output, reference, normalize, pass) => {
    const v = await grade({ type: "exact_match", normalize }, output, reference);
    expect(v.pass).toBe(pass);
    expect(v.reward).toBe(pass ? 1 : 0);
  });
});

describe("canonicalNumber", () => {
  it.each([
    ["1e3", "1000"],
    ["-0", "0"],
    ["+5", "5"],
    ["5.000", "5"],
    ["0.50", "0.5"],
    [".5", "0.5"],
    ["5.", "5"],
    ["-1,234,567.890", "-1234567.89"],
    ["12e-4", "0.0012"],
    ["1.23e2", "123"],
    ["０．５", "0.5"],
    ["٣٫١٤", "3.14"],
    ["\u22123", "-3"],
    ["123456789012345678901234567890", "123456789012345678901234567890"],
  ])("%s -> %s", (input, expected) => {
    expect(canonicalNumber(input)).toBe(expected);
  });

  it.each(["", "abc", "1,5", "1,23,456", "1e", "--1", "1e5000", "1.2.3"])("%j is not a number", (input) => {
    expect(canonicalNumber(input)).toBeUndefined();
  });

  it("leaves non-numbers unchanged under the numeric normaliser", () => {
    expect(applyNormalizers("forty-two", ["numeric"])).toBe("forty-two");
  });
});

describe("toAsciiDigits", () => {
  it("maps every \\p{Nd} digit set by its offset in the run", () => {
    // Arabic-Indic, Extended Arabic-Indic (Persian), Bengali, Thai, fullwidth, mathematical bold.
    expect(toAsciiDigits("٠١٢٣٤٥٦٧٨٩ ۰۹ ০৯ ๐๙ ０９ \u{1D7CE}\u{1D7D7}")).toBe("0123456789 09 09 09 09 09");
    // Mathematical double-struck digits follow bold digits in one contiguous run.
    expect(toAsciiDigits("\u{1D7D8}\u{1D7E1}")).toBe("09");
  });
});

describe("normalisers compose in the given order", () => {
  it("trim alone keeps zero-width characters; whitespace then trim removes them", () => {
    expect(applyNormalizers("  ABC ", ["case", "trim"])).toBe("abc");
    expect(applyNormalizers("x\u200B ", ["trim"])).toBe("x\u200B");
    expect(applyNormalizers("x\u200B ", ["whitespace", "trim"])).toBe("x");
  });
});
