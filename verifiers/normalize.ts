// Explicit, composable string normalisers. Each is a pure string -> string function; a spec lists
// them in the order they apply, e.g. normalize: ["nfkc", "whitespace", "trim", "case"].
import { z } from "zod";

export const NORMALIZER_NAMES = ["trim", "case", "nfkc", "whitespace", "numeric", "confusables"] as const;
export type NormalizerName = (typeof NORMALIZER_NAMES)[number];
export const normalizerSchema = z.enum(NORMALIZER_NAMES);
export const normalizeListSchema = z.array(normalizerSchema).default([]);

const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF]/g;

/** Every Unicode decimal digit (\p{Nd}) to ASCII. Unicode encodes each digit set as a contiguous
 *  run 0..9 (sets may abut), so a digit's value is its offset from its run's start, mod 10. */
export function toAsciiDigits(s: string): string {
  return s
    .replace(/\p{Nd}/gu, (ch) => {
      const cp = ch.codePointAt(0) ?? 0;
      if (cp < 0x80) return ch;
      let start = cp;
      while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
      return String((cp - start) % 10);
    })
    .replace(/[\u2212\uFE63\uFF0D]/g, "-") // minus sign, small and fullwidth hyphen-minus
    .replace(/\u066B/g, ".") // Arabic decimal separator
    .replace(/\u066C/g, ","); // Arabic thousands separator
}

const NUMBER = /^([+-]?)(?:(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const MAX_EXPONENT = 1000;

/** Canonical decimal text of a number written in plain, grouped ("1,234") or scientific form:
 *  "+5" -> "5", "5.0" -> "5", "-0" -> "0", "1e3" -> "1000", "1,234.50" -> "1234.5".
 *  Commas count only as thousands separators in exact groups of three ("1,5" is not a number).
 *  Exact on the digits (no float rounding). Returns undefined when `s` is not such a number. */
export function canonicalNumber(s: string): string | undefined {
  const m = NUMBER.exec(toAsciiDigits(s.normalize("NFKC")).trim());
  if (!m) return undefined;
  const exponent = Number(m[5] ?? "0");
  if (Math.abs(exponent) > MAX_EXPONENT) return undefined;
  const intDigits = (m[2] ?? "").replaceAll(",", "");
  const fracDigits = m[3] ?? m[4] ?? "";
  let digits = intDigits + fracDigits;
  let point = intDigits.length + exponent;
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += "0".repeat(point - digits.length);
  const intPart = digits.slice(0, point).replace(/^0+/, "") || "0";
  const fracPart = digits.slice(point).replace(/0+$/, "");
  const body = fracPart ? `${intPart}.${fracPart}` : intPart;
  return m[1] === "-" && body !== "0" ? `-${body}` : body;
}

// Common Cyrillic and Greek letters that render like Latin ones (a subset of Unicode's
// confusables.txt, chosen for the letters that spoof ASCII words).
const CONFUSABLES: Record<string, string> = {
  "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
  "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l",
  "ԛ": "q", "ԝ": "w", "ѵ": "v",
  "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
  "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S",
  "ο": "o", "α": "a", "ν": "v", "ρ": "p", "ι": "i", "κ": "k", "υ": "u", "τ": "t",
  "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
  "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
};
const CONFUSABLE_RE = new RegExp(`[${Object.keys(CONFUSABLES).join("")}]`, "g");

const NORMALIZERS: Record<NormalizerName, (s: string) => string> = {
  trim: (s) => s.trim(),
  // Full case folding approximated by upper-then-lower, so "ß" and "SS" fold alike.
  case: (s) => s.toUpperCase().toLowerCase(),
  nfkc: (s) => s.normalize("NFKC"),
  whitespace: (s) =>
    s
      .replace(ZERO_WIDTH, "")
      .replace(/\r\n?/g, "\n")
      .replace(/\s+/g, (run) => (run.includes("\n") ? "\n" : " ")),
  numeric: (s) => canonicalNumber(s) ?? s,
  confusables: (s) => s.replace(CONFUSABLE_RE, (ch) => CONFUSABLES[ch] ?? ch),
};

export function normalizer(name: NormalizerName): (s: string) => string {
  return NORMALIZERS[name];
}

/** Applies the named normalisers left to right. */
export function applyNormalizers(s: string, names: readonly NormalizerName[]): string {
  let out = s;
  for (const name of names) out = NORMALIZERS[name](out);
  return out;
}

/** The named normalisers composed once (the identity when none are named), for per-sample use. */
export function compileNormalizers(names: readonly NormalizerName[]): (s: string) => string {
  const fns = names.map((n) => NORMALIZERS[n]);
  if (fns.length === 0) return (s) => s;
  if (fns.length === 1) return fns[0]!;
  return (s) => {
    let out = s;
    for (const f of fns) out = f(out);
    return out;
  };
}
