"""Reference losses written directly in torch, for the gradient parity tests only
(tests/torch/grad-parity.test.ts): autograd on these must equal forwardBackward with
w = -dL/dlogp computed by trainer/losses.ts. Token-mean aggregation over the whole batch."""
import torch


def direct_loss(engine, seqs, old_logprobs, advantages, spec):
    """Returns the flattened gradient of L w.r.t. the trainable parameters (grad buffers untouched)."""
    engine.model.train()
    idx = list(range(len(seqs)))
    lps, _ = engine._token_logprobs(seqs, idx)
    kind = spec["kind"]
    terms, n_tok = [], 0
    for i, lp in enumerate(lps):
        old = old_logprobs[i].to(lp.device)
        adv = float(advantages[i])
        ratio = torch.exp(lp - old)
        if kind == "ppo":
            lo, hi = 1 - float(spec.get("epsLow", 0.2)), 1 + float(spec.get("epsHigh", 0.2))
            terms.append(-torch.min(ratio * adv, torch.clamp(ratio, lo, hi) * adv).sum())
        elif kind == "cispo":
            hi = 1 + float(spec.get("epsHigh", 4.0))
            lo = 1 - float(spec.get("epsLow", 1e9))
            w = torch.clamp(ratio, min=max(lo, 0.0), max=hi).detach()
            terms.append(-(w * adv * lp).sum())
        elif kind == "pg":
            terms.append(-(adv * lp).sum())
        else:
            raise ValueError(f"direct loss kind {kind!r} (ppo, cispo, pg)")
        n_tok += lp.numel()
    loss = sum(terms) / n_tok
    grads = torch.autograd.grad(loss, engine.params, allow_unused=True)
    return torch.cat([(g if g is not None else torch.zeros_like(p)).detach().float().reshape(-1).cpu()
                      for g, p in zip(grads, engine.params)]), float(loss)
