"""Batched KV-cache sampling with temperature, top-p, seed and stop tokens."""
import contextlib

import torch


def _filter_top_p(logits, top_p):
    if top_p >= 1.0:
        return logits
    sorted_logits, idx = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    # keep the smallest prefix whose mass reaches top_p (the first token is always kept)
    drop = (torch.cumsum(probs, dim=-1) - probs) >= top_p
    sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
    return torch.full_like(logits, float("-inf")).scatter(-1, idx, sorted_logits)


@torch.no_grad()
def sample(model, prompts, n, max_tokens, temperature=1.0, top_p=1.0, seed=0, stop_ids=(), pad_id=0,
           device="cpu", autocast=None):
    """prompts: list of token lists. Returns list (per prompt) of n dicts
    {completion, logprobs, finish}. Log-probs are under the distribution actually sampled from
    (after temperature and top-p); with temperature 0 (greedy) they are under the T=1 softmax."""
    ids, mask, pos = left_pad(prompts, n, pad_id, device)
    gen = torch.Generator(device=device).manual_seed(int(seed))
    rec = Recorder(ids.shape[0], stop_ids, pad_id, device)
    past = None
    cur_ids, cur_pos = ids, pos
    for _ in range(max_tokens):
        with autocast() if autocast else contextlib.nullcontext():
            logits, past = model(cur_ids, mask, cur_pos, past)
        tok, alive = rec.add(*choose(logits[:, -1].float(), temperature, top_p, gen))
        if rec.all_done():
            break
        mask = torch.cat([mask, alive.long()[:, None]], dim=1)
        cur_pos = cur_pos[:, -1:] + 1
        cur_ids = tok[:, None]
    return rec.results(n, len(prompts))


def left_pad(prompts, n, pad_id, device):
    """Each prompt repeated n times, left-padded: (ids, attention mask, position ids), all [B, L]."""
    seqs = [p for p in prompts for _ in range(n)]
    L = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), L), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), L), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, L - len(s):] = torch.tensor(s, dtype=torch.long)
        mask[i, L - len(s):] = 1
    ids, mask = ids.to(device), mask.to(device)
    return ids, mask, (mask.cumsum(-1) - 1).clamp(min=0)


class Recorder:
    """Collects each step's tokens and log-probs; a row is done after its first stop token and
    emits pad_id from then on."""

    def __init__(self, B, stop_ids, pad_id, device):
        self.stop_ids, self.pad_id = stop_ids, pad_id
        self.stop = torch.tensor(sorted(set(stop_ids)), dtype=torch.long, device=device)
        self.done = torch.zeros(B, dtype=torch.bool, device=device)
        self.stopped = torch.zeros(B, dtype=torch.bool, device=device)
        self.tokens, self.logprobs = [], []

    def add(self, tok, lp):
        """Records one step; returns (the step's tokens with finished rows padded, rows alive before it)."""
        tok = torch.where(self.done, torch.full_like(tok, self.pad_id), tok)
        self.tokens.append(tok)
        self.logprobs.append(lp)
        alive = ~self.done
        if self.stop.numel() > 0:
            hit = (tok[:, None] == self.stop[None, :]).any(-1) & alive
            self.stopped |= hit
            self.done |= hit
        return tok, alive

    def all_done(self):
        return bool(self.done.all())

    def results(self, n, n_prompts):
        return pack_results(self.tokens, self.logprobs, self.stopped, self.stop_ids, n, n_prompts)


def choose(logits, temperature, top_p, gen):
    """Next token per row and its log-prob under the distribution actually sampled from."""
    if temperature <= 0:
        tok = logits.argmax(-1)
        return tok, torch.log_softmax(logits, -1).gather(-1, tok[:, None])[:, 0]
    logp = torch.log_softmax(_filter_top_p(logits / temperature, top_p), -1)
    tok = torch.multinomial(logp.exp(), 1, generator=gen)[:, 0]
    return tok, logp.gather(-1, tok[:, None])[:, 0]


def pack_results(out_tokens, out_lp, stopped, stop_ids, n, n_prompts):
    """Per-step token/log-prob columns -> per prompt, n dicts {completion, logprobs, finish};
    a stopped row ends at (and includes) its first stop token."""
    toks = torch.stack(out_tokens, 1).cpu()
    lps = torch.stack(out_lp, 1).cpu()
    stopped = stopped.cpu()
    stop_set = set(stop_ids)
    results = []
    for i in range(toks.shape[0]):
        row, lrow = toks[i].tolist(), lps[i].tolist()
        if bool(stopped[i]):
            k = next(j for j, t in enumerate(row) if t in stop_set)
            results.append({"completion": row[:k + 1], "logprobs": lrow[:k + 1], "finish": "stop"})
        else:
            results.append({"completion": row, "logprobs": lrow, "finish": "length"})
    return [results[i * n:(i + 1) * n] for i in range(n_prompts)]
