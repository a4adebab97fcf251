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
        logits = logits[:, -1].float()
        if temperature <= 0:
            tok = logits.argmax(-1)
            lp = torch.log_softmax(logits, -1).gather(-1, tok[:, None])[:, 0]
        else:
            filt = _filter_top_p(logits / temperature, top_p)
            logp = torch.log_softmax(filt, -1)
            tok = torch.multinomial(logp.exp(), 1, generator=gen)[:, 0]
            lp = logp.gather(-1, tok[:, None])[:, 0]
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
    toks = torch.stack(out_tokens, 1).cpu()
    lps = torch.stack(out_lp, 1).cpu()
    stopped = stopped.cpu()
    results = []
    for i in range(B):
        row, lrow = toks[i].tolist(), lps[i].tolist()
        if bool(stopped[i]):
            k = next(j for j, t in enumerate(row) if t in set(stop_ids))
            comp, lp, fin = row[:k + 1], lrow[:k + 1], "stop"
        else:
            comp, lp, fin = row, lrow, "length"
        results.append({"completion": comp, "logprobs": lp, "finish": fin})
    return [results[i * n:(i + 1) * n] for i in range(len(prompts))]


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
