"""Static-KV-cache sampling, replayed as a CUDA graph on GPU.

The dynamic sampler (sampling.py) grows the KV cache with torch.cat and launches every kernel of
every layer from Python for each new token, so small models decode launch-bound. Here the cache
is preallocated for prompt + max_tokens, a decode step writes its K/V in place at a tensor index,
and on CUDA the whole decode step is captured once as a CUDA graph and replayed per token.
Same contract and outputs as sampling.sample (checked against it in tests/torch/static-decode).
"""
import contextlib
import math

import torch
import torch.nn.functional as F

from model import NEG, rotate_half
from sampling import Recorder, choose, left_pad


class _StaticDecoder:
    def __init__(self, model, B, S, dtype, device):
        cfg = model.cfg
        self.model, self.B, self.S = model, B, S
        self.nkv, self.hd = cfg.num_key_value_heads, cfg.head_dim
        self.rep = cfg.num_attention_heads // self.nkv
        L = cfg.num_hidden_layers
        self.k = [torch.zeros(B, self.nkv, S, self.hd, dtype=dtype, device=device) for _ in range(L)]
        self.v = [torch.zeros(B, self.nkv, S, self.hd, dtype=dtype, device=device) for _ in range(L)]
        self.tok = torch.zeros(B, 1, dtype=torch.long, device=device)
        self.pos = torch.zeros(B, 1, dtype=torch.long, device=device)
        self.idx = torch.zeros(1, dtype=torch.long, device=device)
        self.mask = torch.zeros(B, S, dtype=torch.long, device=device)

    def step(self):
        """One decode token for every row: reads tok/pos/idx/mask, writes K/V at idx, returns logits [B, V]."""
        m, B = self.model, self.B
        x = m.model.embed_tokens(self.tok)  # [B, 1, H]
        freqs = self.pos[..., None].float() * m.inv_freq[None, None, :]
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos()[:, None].to(x.dtype), emb.sin()[:, None].to(x.dtype)
        add = ((1 - self.mask) * NEG).float()[:, None, None, :]  # [B, 1, 1, S]
        for i, layer in enumerate(m.model.layers):
            a = layer.self_attn
            h = layer.input_layernorm(x)
            q = a.q_proj(h).view(B, 1, a.nh, a.hd).transpose(1, 2)
            k = a.k_proj(h).view(B, 1, a.nkv, a.hd).transpose(1, 2)
            v = a.v_proj(h).view(B, 1, a.nkv, a.hd).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            self.k[i].index_copy_(2, self.idx, k.to(self.k[i].dtype))
            self.v[i].index_copy_(2, self.idx, v.to(self.v[i].dtype))
            # one query token: its `rep` heads per KV group act as `rep` query rows against that group
            qg = q.reshape(B, self.nkv, self.rep, self.hd).to(self.k[i].dtype)
            att = torch.matmul(qg, self.k[i].transpose(-1, -2)).float() / math.sqrt(self.hd) + add
            o = torch.matmul(torch.softmax(att, dim=-1).to(self.v[i].dtype), self.v[i])  # [B, nkv, rep, hd]
            x = x + a.o_proj(o.reshape(B, 1, a.nh * a.hd).to(x.dtype))
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        return m.lm_head(m.model.norm(x))[:, -1].float()


@torch.no_grad()
def sample_static(model, prompts, n, max_tokens, temperature=1.0, top_p=1.0, seed=0, stop_ids=(), pad_id=0,
                  device="cpu", autocast=None, graph=None):
    """Same contract as sampling.sample. graph=None: use a CUDA graph when on CUDA."""
    device = torch.device(device)
    use_graph = device.type == "cuda" if graph is None else graph
    ids, mask, pos = left_pad(prompts, n, pad_id, device)
    B, P = ids.shape
    S = P + max_tokens
    ctx = (lambda: torch.autocast(device_type="cuda", dtype=torch.bfloat16, cache_enabled=False)) if autocast else None
    with ctx() if ctx else contextlib.nullcontext():
        logits, past = model(ids, mask, pos, None)
    dec = _StaticDecoder(model, B, S, past[0][0].dtype, device)
    for i, (k, v) in enumerate(past):
        dec.k[i][:, :, :P].copy_(k)
        dec.v[i][:, :, :P].copy_(v)
    del past
    dec.mask[:, :P].copy_(mask)
    dec.pos.copy_(pos[:, -1:])
    logits = logits[:, -1].float()

    def run_step():
        with ctx() if ctx else contextlib.nullcontext():
            return dec.step()

    graph_obj, graph_out = None, None
    if use_graph and max_tokens > 1:
        # warm up on a side stream (required before capture), then capture; the warm-up writes at
        # index P, which the first real step overwrites.
        dec.idx.fill_(P)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            run_step()
        torch.cuda.current_stream().wait_stream(side)
        graph_obj = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph_obj):
            graph_out = run_step()

    gen = torch.Generator(device=device).manual_seed(int(seed))
    rec = Recorder(B, stop_ids, pad_id, device)
    for t in range(max_tokens):
        tok, alive = rec.add(*choose(logits, temperature, top_p, gen))
        if t == max_tokens - 1 or rec.all_done():
            break
        dec.mask[:, P + t] = alive.long()
        dec.tok.copy_(tok[:, None])
        dec.pos += 1
        dec.idx.fill_(P + t)
        if graph_obj is not None:
            graph_obj.replay()
            logits = graph_out.clone()
        else:
            logits = run_step()
    return rec.results(n, len(prompts))
