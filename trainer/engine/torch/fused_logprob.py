"""Chunked, fused lm_head + log-softmax + gather: log pi of target tokens without materialising
the [tokens, vocab] logits for backward.

With a 150k vocabulary the fp32 logits of a 16k-token micro-batch take ~10 GB, and autograd keeps
several copies; that caps the micro-batch size and with it the GEMM efficiency. Here the forward
keeps only the per-token log-sum-exp, and the backward recomputes each chunk's logits (the idea of
Liger-Kernel's fused linear cross-entropy, written with plain torch ops).
d logp_t / d z = onehot(t) - softmax(z), so grad_z = g * (onehot - p).
"""
import torch


class FusedLinearLogprob(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, weight, targets, chunk, compute_dtype):
        lps, lses, ents = [], [], []
        w = weight.to(compute_dtype)
        for s in range(0, h.shape[0], chunk):
            z = (h[s:s + chunk].to(compute_dtype) @ w.t()).float()
            lse = torch.logsumexp(z, dim=-1)
            lps.append(z.gather(-1, targets[s:s + chunk, None])[:, 0] - lse)
            ents.append(lse - (torch.softmax(z, dim=-1) * z).sum(-1))
            lses.append(lse)
        ctx.save_for_backward(h, weight, targets, torch.cat(lses))
        ctx.chunk, ctx.compute_dtype = chunk, compute_dtype
        ent = torch.cat(ents)
        ctx.mark_non_differentiable(ent)
        return torch.cat(lps), ent

    @staticmethod
    def backward(ctx, grad_lp, _grad_ent):
        h, weight, targets, lse = ctx.saved_tensors
        chunk, cd = ctx.chunk, ctx.compute_dtype
        w = weight.to(cd)
        grad_h = torch.empty_like(h) if ctx.needs_input_grad[0] else None
        grad_w = torch.zeros_like(weight, dtype=torch.float32) if ctx.needs_input_grad[1] else None
        for s in range(0, h.shape[0], chunk):
            hc = h[s:s + chunk].to(cd)
            z = (hc @ w.t()).float()
            g = grad_lp[s:s + chunk, None].float()
            gz = -torch.exp(z - lse[s:s + chunk, None]) * g
            gz.scatter_add_(-1, targets[s:s + chunk, None], g)
            gz = gz.to(cd)
            if grad_h is not None:
                grad_h[s:s + chunk] = (gz @ w).to(h.dtype)
            if grad_w is not None:
                grad_w += (gz.t() @ hc).float()
        return grad_h, (grad_w.to(weight.dtype) if grad_w is not None else None), None, None, None


def fused_token_logprobs(h, weight, targets, chunk=4096, compute_dtype=None):
    """h [N, H], weight [V, H], targets [N] -> (log pi(targets) [N], entropy [N] (no gradient))."""
    return FusedLinearLogprob.apply(h, weight, targets, chunk, compute_dtype or h.dtype)
