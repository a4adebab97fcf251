// A real OpenAI-compatible HTTP server for tests: deterministic answers, a configurable delay.
// Choice i of a request with seed s answers correctly when (s + i) % 2 === 0.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface TestServer {
  url: string;
  requests: () => number;
  close: () => Promise<void>;
}

export async function startOpenAIServer(delayMs: number): Promise<TestServer> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      count++;
      const json = JSON.parse(body) as { messages: { content: string }[]; n?: number; seed?: number };
      const prompt = json.messages.at(-1)!.content;
      // Fixture prompts are "Q: what is <task> <i>?"; the reference is "answer <task> <i>".
      const m = /what is (\S+) (\d+)\?/.exec(prompt);
      const n = json.n ?? 1;
      const seed = json.seed ?? 0;
      const choices = Array.from({ length: n }, (_, i) => ({
        index: i,
        message: { role: "assistant", content: m !== null && (seed + i) % 2 === 0 ? `answer ${m[1]} ${m[2]}` : `no idea ${seed + i}` },
        finish_reason: "stop",
      }));
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: "x", object: "chat.completion", choices, usage: { prompt_tokens: prompt.length, completion_tokens: 3 } }));
      }, delayMs);
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => count,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
