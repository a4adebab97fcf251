// Text similarity metrics, written by hand because no maintained npm package matches the Python
// references OpenAI's graders follow. Scores are in [0, 1].

/** Code points, so astral characters count once (as in Python strings). */
function chars(s: string): string[] {
  return Array.from(s);
}

/** Length of the longest common subsequence, O(n·m) time, O(m) memory. */
export function lcsLength<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = ai === b[j - 1] ? (prev[j - 1] ?? 0) + 1 : Math.max(prev[j] ?? 0, cur[j - 1] ?? 0);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] ?? 0;
}

/** rapidfuzz `fuzz.ratio` / 100: the normalised Indel similarity, 1 − indel / (|a|+|b|) = 2·LCS/(|a|+|b|). */
export function fuzzyRatio(a: string, b: string): number {
  const ca = chars(a);
  const cb = chars(b);
  if (ca.length + cb.length === 0) return 1;
  return (2 * lcsLength(ca, cb)) / (ca.length + cb.length);
}

/** sacreBLEU's default "13a" tokenizer (mteval-v13a): punctuation split off, except . and ,
 *  between digits and - after a digit. */
export function tokenize13a(text: string): string[] {
  let s = ` ${text.replace(/<skipped>/g, "").replace(/-\n/g, "").replace(/\n/g, " ")} `;
  if (s.includes("&")) s = s.replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
  s = s
    .replace(/([{-~[-` -&(-+:-@/])/g, " $1 ")
    .replace(/([^0-9])([.,])/g, "$1 $2 ")
    .replace(/([.,])([^0-9])/g, " $1 $2")
    .replace(/([0-9])(-)/g, "$1 $2 ");
  return s.split(/\s+/).filter((t) => t.length > 0);
}

/** rouge_score's tokenizer, widened to Unicode: lowercase, split on anything not a letter or digit.
 *  (rouge_score keeps only [a-z0-9]; for ASCII text the tokens are the same.) */
export function tokenizeRouge(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

export function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join("\u0000");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function overlap(a: Map<string, number>, b: Map<string, number>): number {
  let total = 0;
  for (const [k, c] of a) total += Math.min(c, b.get(k) ?? 0);
  return total;
}

/** Sentence BLEU as sacreBLEU's sentence_bleu computes it: 13a tokens, n-grams 1..4, "exp"
 *  smoothing (each order with no match gets precision 1/(2^k·total), k counting such orders),
 *  effective order for short hypotheses, brevity penalty exp(1 − r/c) (Papineni et al. 2002). */
export function sentenceBleu(hypothesis: string, reference: string, maxOrder = 4): number {
  const hyp = tokenize13a(hypothesis);
  const ref = tokenize13a(reference);
  if (hyp.length === 0 || ref.length === 0) return 0;
  let logSum = 0;
  let effOrder = 0;
  let smooth = 1;
  for (let n = 1; n <= maxOrder; n++) {
    const total = Math.max(0, hyp.length - n + 1);
    if (total === 0) break;
    effOrder = n;
    const correct = overlap(ngramCounts(hyp, n), ngramCounts(ref, n));
    let p: number;
    if (correct === 0) {
      smooth *= 2;
      p = 1 / (smooth * total);
    } else {
      p = correct / total;
    }
    logSum += Math.log(p);
  }
  const bp = hyp.length >= ref.length ? 1 : Math.exp(1 - ref.length / hyp.length);
  return bp * Math.exp(logSum / effOrder);
}

/** Sentence GLEU (Wu et al. 2016; nltk sentence_gleu): over all 1..4-grams, matches divided by
 *  the larger of the hypothesis' and the reference's n-gram totals (min of precision and recall). */
export function sentenceGleu(hypothesis: string, reference: string, minOrder = 1, maxOrder = 4): number {
  const hyp = tokenize13a(hypothesis);
  const ref = tokenize13a(reference);
  let tp = 0;
  let hypTotal = 0;
  let refTotal = 0;
  for (let n = minOrder; n <= maxOrder; n++) {
    const h = ngramCounts(hyp, n);
    const r = ngramCounts(ref, n);
    tp += overlap(h, r);
    hypTotal += Math.max(0, hyp.length - n + 1);
    refTotal += Math.max(0, ref.length - n + 1);
  }
  const denom = Math.max(hypTotal, refTotal);
  return denom === 0 ? 0 : tp / denom;
}

function fMeasure(matches: number, hypCount: number, refCount: number): number {
  if (matches === 0 || hypCount === 0 || refCount === 0) return 0;
  const p = matches / hypCount;
  const r = matches / refCount;
  return (2 * p * r) / (p + r);
}

/** ROUGE-N F-measure (Lin 2004; as rouge_score computes it, without stemming). */
export function rougeN(hypothesis: string, reference: string, n: number): number {
  const h = ngramCounts(tokenizeRouge(hypothesis), n);
  const r = ngramCounts(tokenizeRouge(reference), n);
  const count = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return fMeasure(overlap(h, r), count(h), count(r));
}

/** ROUGE-L F-measure: longest common token subsequence (Lin 2004; rouge_score "rougeL"). */
export function rougeL(hypothesis: string, reference: string): number {
  const h = tokenizeRouge(hypothesis);
  const r = tokenizeRouge(reference);
  return fMeasure(lcsLength(h, r), h.length, r.length);
}
