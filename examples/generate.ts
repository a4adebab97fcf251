// Writes examples/*/data.jsonl and replay.jsonl deterministically: `node examples/generate.ts`.
// The replay files mimic a model that is right on some items, flaky on others, wrong on a few,
// in OpenAI's eval jsonl shape {"item": {...}, "sample": {"output_text": "..."}}.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { mulberry32, randInt, type Rng } from "../harness/stats/rng.ts";
import tsSuite from "./ts-suite/suite.ts";

const here = path.dirname(new URL(import.meta.url).pathname);
type Item = { id: string; [k: string]: unknown };

function writeJsonl(file: string, rows: unknown[]): void {
  writeFileSync(path.join(here, file), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
}
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[randInt(rng, xs.length)] as T;
const pad = (i: number) => String(i + 1).padStart(2, "0");

/** K replay samples per item; each is right with the item's own probability p. */
function replay(rng: Rng, items: Item[], k: (i: number) => number, p: (i: number) => number, right: (it: Item) => string, wrong: (it: Item) => string) {
  const rows: unknown[] = [];
  items.forEach((item, i) => {
    for (let s = 0; s < k(i); s++) rows.push({ item, sample: { output_text: rng() < p(i) ? right(item) : wrong(item) } });
  });
  return rows;
}

function arithmetic(): void {
  const rng = mulberry32(101);
  const items: Item[] = [];
  for (let i = 0; i < 40; i++) {
    const a = 2 + randInt(rng, 98);
    const b = 2 + randInt(rng, 60);
    const c = 2 + randInt(rng, 9);
    const kind = i % 4;
    let question: string;
    let answer: number;
    if (kind === 0) [question, answer] = [`What is ${a} + ${b}?`, a + b];
    else if (kind === 1) [question, answer] = [`What is ${a} - ${b}?`, a - b];
    else if (kind === 2) [question, answer] = [`What is ${a} × ${c}?`, a * c];
    else [question, answer] = [`Sam has ${a} apples and buys ${c} bags of ${b} apples each. How many apples does Sam have now?`, a + b * c];
    items.push({ id: `arith-${pad(i)}`, question, reference: answer, metadata: { op: ["add", "sub", "mul", "word"][kind], difficulty: kind === 3 ? "hard" : "easy" } });
  }
  writeJsonl("arithmetic/data.jsonl", items);
  const formats = [
    (q: string, n: number) => `${q.replace("What is ", "").replace("?", "")} = ${n}\n#### ${n}`,
    (_q: string, n: number) => `Working it out step by step, the result is \\boxed{${n}}.`,
    (_q: string, n: number) => `Let me compute. The answer is ${n}`,
  ];
  const rows = replay(
    mulberry32(102), items, () => 4,
    (i) => (i % 4 === 3 ? 0.35 : i % 4 === 2 ? 0.6 : 0.85),
    (it) => pick(rng, formats)(String(it.question), Number(it.reference)),
    (it) => pick(rng, formats)(String(it.question), Number(it.reference) + pick(rng, [-10, -1, 1, 2, 10])),
  );
  writeJsonl("arithmetic/replay.jsonl", rows);
}

const FIRST = ["Maria", "Kenji", "Amara", "Lukas", "Sofia", "Omar", "Ingrid", "Diego", "Priya", "Tomás", "Chloé", "Wei", "Nia", "Mateo", "Elif"];
const LAST = ["Lopez", "Tanaka", "Okafor", "Schmidt", "Rossi", "Haddad", "Larsen", "Fernández", "Sharma", "Silva", "Dubois", "Zhang", "Mensah", "García", "Yilmaz"];
const CITIES = ["Lisbon", "Osaka", "Lagos", "Hamburg", "Turin", "Beirut", "Bergen", "Valencia", "Pune", "Porto", "Lyon", "Chengdu", "Accra", "Bogotá", "Izmir"];
const PHRASES = [
  (n: string, a: number, c: string) => `Hi, I'm ${n}, ${a} years old, and I live in ${c}.`,
  (n: string, a: number, c: string) => `${n} (age ${a}) moved to ${c} last spring.`,
  (n: string, a: number, c: string) => `Our new colleague, ${n}, is ${a} and works from the ${c} office.`,
  (n: string, a: number, c: string) => `Born ${a} years ago, ${n} now calls ${c} home.`,
];

function jsonExtract(): void {
  const rng = mulberry32(201);
  const items: Item[] = [];
  for (let i = 0; i < 30; i++) {
    const name = `${pick(rng, FIRST)} ${pick(rng, LAST)}`;
    const age = 19 + randInt(rng, 60);
    const city = pick(rng, CITIES);
    items.push({ id: `person-${pad(i)}`, text: pick(rng, PHRASES)(name, age, city), reference: { name, age, city } });
  }
  writeJsonl("json-extract/data.jsonl", items);
  const ref = (it: Item) => it.reference as { name: string; age: number; city: string };
  const rows = replay(
    mulberry32(202), items, (i) => 2 + (i % 3),
    (i) => (i < 10 ? 0.9 : i < 20 ? 0.55 : 0.3),
    (it) => (rng() < 0.5 ? JSON.stringify(ref(it)) : "```json\n" + JSON.stringify(ref(it), null, 2) + "\n```"),
    (it) => {
      const r = ref(it);
      return pick(rng, [
        JSON.stringify({ ...r, age: String(r.age) }),
        JSON.stringify({ name: r.name, city: r.city }),
        JSON.stringify({ ...r, age: r.age + 1 }),
        `{"name": "${r.name}", "age": ${r.age}, "city": "${r.city}"`,
        `Name: ${r.name}, age ${r.age}, city ${r.city}`,
      ]);
    },
  );
  writeJsonl("json-extract/replay.jsonl", rows);
}

const CAPITALS: [string, string][] = [
  ["France", "Paris"], ["Japan", "Tokyo"], ["Kenya", "Nairobi"], ["Peru", "Lima"], ["Canada", "Ottawa"],
  ["Australia", "Canberra"], ["Brazil", "Brasília"], ["Egypt", "Cairo"], ["Norway", "Oslo"], ["Turkey", "Ankara"],
  ["Vietnam", "Hanoi"], ["Morocco", "Rabat"], ["Chile", "Santiago"], ["Poland", "Warsaw"], ["Ghana", "Accra"],
  ["Portugal", "Lisbon"], ["Iceland", "Reykjavík"], ["Nigeria", "Abuja"], ["Pakistan", "Islamabad"], ["Switzerland", "Bern"],
  ["New Zealand", "Wellington"], ["South Korea", "Seoul"], ["Argentina", "Buenos Aires"], ["Ethiopia", "Addis Ababa"], ["Finland", "Helsinki"],
  ["Mongolia", "Ulaanbaatar"], ["Colombia", "Bogotá"], ["Greece", "Athens"], ["Tanzania", "Dodoma"], ["Myanmar", "Naypyidaw"],
  ["Kazakhstan", "Astana"], ["Sri Lanka", "Sri Jayawardenepura Kotte"], ["Bolivia", "Sucre"], ["Ireland", "Dublin"], ["Hungary", "Budapest"],
  ["Cuba", "Havana"], ["Thailand", "Bangkok"], ["Senegal", "Dakar"], ["Austria", "Vienna"], ["Uruguay", "Montevideo"],
];
const PLAUSIBLE: Record<string, string> = {
  Australia: "Sydney", Canada: "Toronto", Turkey: "Istanbul", Brazil: "Rio de Janeiro", Morocco: "Casablanca",
  Nigeria: "Lagos", Pakistan: "Karachi", Switzerland: "Zurich", "New Zealand": "Auckland", Tanzania: "Dar es Salaam",
  Myanmar: "Yangon", Kazakhstan: "Almaty", "Sri Lanka": "Colombo", Bolivia: "La Paz", Vietnam: "Ho Chi Minh City",
};

function capitals(): void {
  const items: Item[] = CAPITALS.map(([country, capital], i) => ({
    id: `cap-${pad(i)}`,
    input: `What is the capital of ${country}? Answer with the city name only.`,
    reference: capital,
    metadata: { country },
  }));
  writeJsonl("capitals-qa/data.jsonl", items);
  const rng = mulberry32(302);
  const country = (it: Item) => (it.metadata as { country: string }).country;
  const rows = replay(
    rng, items, (i) => (i % 2 === 0 ? 2 : 3),
    (i) => (PLAUSIBLE[CAPITALS[i]?.[0] ?? ""] ? 0.4 : 0.9),
    (it) => pick(rng, [String(it.reference), ` ${String(it.reference)}\n`, String(it.reference).toUpperCase(), `${it.reference}`.normalize("NFD")]),
    (it) => PLAUSIBLE[country(it)] ?? pick(rng, ["I am not sure.", `The capital of ${country(it)} is ${String(it.reference)}.`, "London"]),
  );
  writeJsonl("capitals-qa/replay.jsonl", rows);
}

function tsReplay(): void {
  const rng = mulberry32(402);
  const task = tsSuite.tasks[0];
  const items = (Array.isArray(task.dataset) ? task.dataset : []) as Item[];
  const rows = replay(
    rng, items, () => 3, (i) => 0.25 + (i % 4) * 0.2,
    (it) => String(it.reference),
    (it) => pick(rng, [String(it.word), String(it.reference).slice(1), [...String(it.reference)].sort().join("")]),
  );
  writeJsonl("ts-suite/replay.jsonl", rows);
}

arithmetic();
jsonExtract();
capitals();
tsReplay();
console.log("wrote examples/{arithmetic,json-extract,capitals-qa,ts-suite} data.jsonl and replay.jsonl");
