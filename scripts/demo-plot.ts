// Reward-curve rendering for the demo and compare-algos: a text sparkline and a self-contained
// HTML file with an inline SVG line chart (no plotting dependency needed for one chart).

const BARS = "▁▂▃▄▅▆▇█";

/** Bars for ys (bucket means when there are more than `width` points). */
export function sparkline(ys: readonly number[], lo = Math.min(...ys), hi = Math.max(...ys), width = 60): string {
  const span = hi - lo || 1;
  if (ys.length > width) {
    const per = ys.length / width;
    ys = Array.from({ length: width }, (_, i) => {
      const part = ys.slice(Math.floor(i * per), Math.floor((i + 1) * per));
      return part.reduce((a, b) => a + b, 0) / part.length;
    });
  }
  return ys.map((y) => BARS[Math.min(BARS.length - 1, Math.max(0, Math.round(((y - lo) / span) * (BARS.length - 1))))]).join("");
}

export interface Series {
  name: string;
  /** [step, value] points. */
  points: [number, number][];
  /** Index into the palette (default: the series' position); a dashed line when set by the caller. */
  color?: number;
  dashed?: boolean;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A standalone HTML page with one SVG line chart of the series. */
export function lineChartHtml(title: string, yLabel: string, series: readonly Series[]): string {
  const W = 720, H = 360, L = 56, R = 140, T = 36, B = 44;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const x0 = Math.min(...xs), x1 = Math.max(...xs) || 1;
  const y0 = Math.min(0, ...ys), y1 = Math.max(1, ...ys);
  const sx = (x: number) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (y: number) => H - B - ((y - y0) / (y1 - y0 || 1)) * (H - T - B);
  const ticks = Array.from({ length: 6 }, (_, i) => y0 + ((y1 - y0) * i) / 5);
  const grid = ticks.map((t) =>
    `<line x1="${L}" x2="${W - R}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/><text x="${L - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${t.toFixed(2)}</text>`).join("");
  const lines = series.map((s, i) => {
    const c = COLORS[(s.color ?? i) % COLORS.length];
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
    return `<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""} points="${pts}"/>` +
      `<text x="${W - R + 8}" y="${T + 16 * (i + 1)}" fill="${c}" font-size="12">${esc(s.name)}</text>`;
  }).join("");
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>${grid}
<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>
<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle" font-size="12">step</text>
<text x="14" y="${(T + H - B) / 2}" transform="rotate(-90 14 ${(T + H - B) / 2})" text-anchor="middle" font-size="12">${esc(yLabel)}</text>
<text x="${L}" y="${H - B + 16}" font-size="11">${x0}</text><text x="${W - R}" y="${H - B + 16}" text-anchor="end" font-size="11">${x1}</text>
${lines}</svg></body></html>
`;
}
