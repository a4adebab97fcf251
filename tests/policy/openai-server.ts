// A small, real OpenAI-compatible HTTP server for tests (node:http on 127.0.0.1:0). Answers are
// computed from the request so tests can assert them: the completion of prompt P with seed s is
// `echo:P` when temperature is 0 or absent, else `echo:P~s` (choice i of a request with n gets
// seed s + i, so native `n` and fan-out agree). One character = one token. The model name picks a
// behaviour: "flaky" (one 429 per prompt, then OK), "down" (500 forever), "reject" (400),
// "single" (ignores n), "slow" (waits `delayMs`), anything else answers normally.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface TestServer {
  baseURL: string;
  /** Requests received, in arrival order. */
  bodies: Record<string, unknown>[];
  headers: IncomingMessage["headers"][];
  inFlight: number;
  maxInFlight: number;
  delayMs: number;
  /** Distinct prompts that got their 429 already ("flaky"). */
  throttled: Set<string>;
  close(): Promise<void>;
}

function promptOf(body: Record<string, unknown>): string {
  if (typeof body["prompt"] === "string") return body["prompt"];
  const messages = body["messages"] as { content: string }[] | undefined;
  return messages?.at(-1)?.content ?? "";
}

function answer(body: Record<string, unknown>, i: number): { text: string; finish: string } {
  const prompt = promptOf(body);
  const temperature = (body["temperature"] as number | undefined) ?? 0;
  const seed = body["seed"] as number | undefined;
  let text = temperature === 0 ? `echo:${prompt}` : `echo:${prompt}~${seed === undefined ? Math.random() : seed + i}`;
  let finish = "stop";
  for (const s of (body["stop"] as string[] | undefined) ?? []) {
    const at = text.indexOf(s);
    if (at !== -1) text = text.slice(0, at);
  }
  const max = (body["max_tokens"] ?? body["max_completion_tokens"]) as number | undefined;
  if (max !== undefined && text.length > max) {
    text = text.slice(0, max);
    finish = "length";
  }
  return { text, finish };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export async function startTestServer(): Promise<TestServer> {
  const state: Omit<TestServer, "baseURL" | "close"> = {
    bodies: [],
    headers: [],
    inFlight: 0,
    maxInFlight: 0,
    delayMs: 30,
    throttled: new Set(),
  };
  const server: Server = createServer(async (req, res) => {
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      state.bodies.push(body);
      state.headers.push(req.headers);
      const chat = req.url === "/v1/chat/completions";
      if (!chat && req.url !== "/v1/completions") return send(res, 404, { error: { message: `no route ${req.url}` } });
      const model = body["model"];
      if (model === "slow") await new Promise((r) => setTimeout(r, state.delayMs));
      if (model === "down") return send(res, 500, { error: { message: "engine exploded", type: "server_error" } });
      if (model === "reject") return send(res, 400, { error: { message: "temperature must be <= 2", param: "temperature" } });
      if (model === "flaky" && !state.throttled.has(promptOf(body))) {
        state.throttled.add(promptOf(body));
        return send(res, 429, { error: { message: "slow down" } }, { "retry-after-ms": "20", "retry-after": "1" });
      }
      const n = model === "single" ? 1 : ((body["n"] as number | undefined) ?? 1);
      const wantLogprobs = body["logprobs"] !== undefined && body["logprobs"] !== false;
      const choices = Array.from({ length: n }, (_, i) => {
        const { text, finish } = answer(body, i);
        const codes = [...text].map((ch) => ch.codePointAt(0)!);
        const lps = codes.map((_, k) => -0.01 * (k + 1));
        const choice: Record<string, unknown> = { index: i, finish_reason: finish };
        if (chat) choice["message"] = { role: "assistant", content: text };
        else choice["text"] = text;
        if (wantLogprobs) {
          choice["logprobs"] = chat
            ? { content: codes.map((c, k) => ({ token: `token_id:${c}`, logprob: lps[k], bytes: [c], top_logprobs: [] })) }
            : { tokens: [...text], token_logprobs: lps, top_logprobs: null, text_offset: codes.map((_, k) => k) };
        }
        if (body["return_token_ids"] === true) choice["token_ids"] = codes;
        return choice;
      });
      const completionTokens = choices.reduce((s, c) => s + answer(body, c["index"] as number).text.length, 0);
      send(res, 200, {
        id: "cmpl-test",
        object: chat ? "chat.completion" : "text_completion",
        model,
        choices,
        usage: { prompt_tokens: promptOf(body).length, completion_tokens: completionTokens },
      });
    } catch (err) {
      send(res, 500, { error: { message: `test server: ${(err as Error).message}` } });
    } finally {
      state.inFlight--;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const handle = state as TestServer;
  handle.baseURL = `http://127.0.0.1:${port}/v1`;
  handle.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return handle;
}
