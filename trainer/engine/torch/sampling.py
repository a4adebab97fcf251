"""Batched KV-cache sampling with temperature, top-p, seed and stop tokens."""
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
    seqs = [p for p in prompts for _ in range(n)]
    B = len(seqs)
    L = max(len(s) for s in seqs)
    ids = torch.full((B, L), pad_id, dtype=torch.long)
    mask = torch.zeros((B, L), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, L - len(s):] = torch.tensor(s, dtype=torch.long)
        mask[i, L - len(s):] = 1
    ids, mask = ids.to(device), mask.to(device)
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    gen = torch.Generator(device=device).manual_seed(int(seed))
    stop = torch.tensor(sorted(set(stop_ids)), dtype=torch.long, device=device)
    done = torch.zeros(B, dtype=torch.bool, device=device)
    stopped = torch.zeros(B, dtype=torch.bool, device=device)
    out_tokens, out_lp = [], []
    past = None
    cur_ids, cur_pos = ids, pos
    for _ in range(max_tokens):
        with autocast() if autocast else _null():
            logits, past = model(cur_ids, mask, cur_pos, past)
        tok, lp = choose(logits[:, -1].float(), temperature, top_p, gen)
        tok = torch.where(done, torch.full_like(tok, pad_id), tok)
        out_tokens.append(tok)
        out_lp.append(lp)
        alive = ~done
        if stop.numel() > 0:
            hit = (tok[:, None] == stop[None, :]).any(-1) & alive
            stopped |= hit
            done |= hit
        if bool(done.all()):
            break
        mask = torch.cat([mask, alive.long()[:, None]], dim=1)
        cur_pos = cur_pos[:, -1:] + 1
        cur_ids = tok[:, None]
    return pack_results(out_tokens, out_lp, stopped, stop_ids, n, len(prompts))


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


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
