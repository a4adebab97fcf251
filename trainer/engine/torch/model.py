"""Llama-family decoder (Llama, Qwen2, Mistral, SmolLM) in plain torch, HF parameter names.

Works on torch 1.13 (explicit attention) and torch 2.x (scaled_dot_product_attention on CUDA).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

NEG = -1e9  # finite mask value: -inf gives NaN rows for fully padded queries (stack-notes 3)


class ModelConfig:
    def __init__(self, d):
        def need(key):
            if key not in d:
                raise ValueError(f"config.json: missing required field {key!r}")
            return d[key]
        self.raw = dict(d)
        self.model_type = d.get("model_type", "llama")
        self.vocab_size = int(need("vocab_size"))
        self.hidden_size = int(need("hidden_size"))
        self.intermediate_size = int(need("intermediate_size"))
        self.num_hidden_layers = int(need("num_hidden_layers"))
        self.num_attention_heads = int(need("num_attention_heads"))
        self.num_key_value_heads = int(d.get("num_key_value_heads") or self.num_attention_heads)
        self.head_dim = int(d.get("head_dim") or self.hidden_size // self.num_attention_heads)
        self.rms_norm_eps = float(d.get("rms_norm_eps", 1e-6))
        self.rope_theta = float(d.get("rope_theta", 10000.0))
        self.rope_scaling = d.get("rope_scaling")
        self.tie_word_embeddings = bool(d.get("tie_word_embeddings", False))
        self.attention_bias = bool(d.get("attention_bias", self.model_type == "qwen2"))
        self.mlp_bias = bool(d.get("mlp_bias", False))
        if self.num_attention_heads % self.num_key_value_heads != 0:
            raise ValueError("config.json: num_attention_heads must be a multiple of num_key_value_heads")
        act = d.get("hidden_act", "silu")
        if act != "silu":
            raise ValueError(f"config.json: hidden_act {act!r} is not supported (expected 'silu')")


def rope_inv_freq(cfg):
    dim = cfg.head_dim
    inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    rs = cfg.rope_scaling
    if not rs:
        return inv
    kind = rs.get("rope_type", rs.get("type", "default"))
    if kind == "default":
        return inv
    if kind == "linear":
        return inv / float(rs["factor"])
    if kind == "llama3":
        # Llama 3.1 frequency-dependent scaling (HF modeling_rope_utils._compute_llama3_parameters)
        factor = float(rs["factor"])
        low = float(rs.get("low_freq_factor", 1.0))
        high = float(rs.get("high_freq_factor", 4.0))
        old = float(rs.get("original_max_position_embeddings", 8192))
        low_wl, high_wl = old / low, old / high
        wl = 2 * math.pi / inv
        scaled = torch.where(wl > low_wl, inv / factor, inv)
        smooth = (old / wl - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wl >= high_wl) & (wl <= low_wl)
        return torch.where(medium, smoothed, scaled)
    raise ValueError(f"config.json: rope_scaling type {kind!r} is not supported (default, linear, llama3)")


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        dt = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dt)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.nh, self.nkv, self.hd = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        b = cfg.attention_bias
        self.q_proj = nn.Linear(cfg.hidden_size, self.nh * self.hd, bias=b)
        self.k_proj = nn.Linear(cfg.hidden_size, self.nkv * self.hd, bias=b)
        self.v_proj = nn.Linear(cfg.hidden_size, self.nkv * self.hd, bias=b)
        self.o_proj = nn.Linear(self.nh * self.hd, cfg.hidden_size, bias=False)
        self.use_sdpa = False

    def forward(self, x, cos, sin, mask, past, causal_only):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        present = (k, v)
        rep = self.nh // self.nkv
        if rep > 1:
            S = k.shape[2]
            k = k[:, :, None].expand(B, self.nkv, rep, S, self.hd).reshape(B, self.nh, S, self.hd)
            v = v[:, :, None].expand(B, self.nkv, rep, S, self.hd).reshape(B, self.nh, S, self.hd)
        if self.use_sdpa:
            if causal_only:
                o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask.to(q.dtype))
        else:
            att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.hd)
            att = att + mask.to(att.dtype)
            att = torch.softmax(att.float(), dim=-1).to(q.dtype)
            o = torch.matmul(att, v)
        o = o.transpose(1, 2).reshape(B, T, self.nh * self.hd)
        return self.o_proj(o), present


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        b = cfg.mlp_bias
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=b)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=b)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=b)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self_attn = Attention(cfg)
        self.mlp = MLP(cfg)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, x, cos, sin, mask, past, causal_only):
        a, present = self.self_attn(self.input_layernorm(x), cos, sin, mask, past, causal_only)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), present


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([Layer(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class CausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Decoder(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        self.register_buffer("inv_freq", rope_inv_freq(cfg), persistent=False)

    def set_sdpa(self, on):
        for layer in self.model.layers:
            layer.self_attn.use_sdpa = on

    def hidden(self, input_ids, attention_mask=None, position_ids=None, past=None):
        """Returns final hidden states and the new KV cache.
        attention_mask [B, past+T] (1 = real token); None means all real and no cache: plain causal."""
        B, T = input_ids.shape
        past_len = 0 if past is None else past[0][0].shape[2]
        if position_ids is None:
            position_ids = torch.arange(past_len, past_len + T, device=input_ids.device).unsqueeze(0).expand(B, T)
        freqs = position_ids[..., None].float() * self.inv_freq[None, None, :]
        emb = torch.cat([freqs, freqs], dim=-1)
        x = self.model.embed_tokens(input_ids)
        cos, sin = emb.cos()[:, None].to(x.dtype), emb.sin()[:, None].to(x.dtype)
        causal_only = attention_mask is None and past is None
        S = past_len + T
        q_idx = torch.arange(T, device=input_ids.device)[:, None] + past_len
        k_idx = torch.arange(S, device=input_ids.device)[None, :]
        allowed = (k_idx <= q_idx)[None, None]
        if attention_mask is not None:
            allowed = allowed & (attention_mask[:, None, None, :] > 0)
        mask = torch.where(allowed, torch.zeros((), device=x.device), torch.full((), NEG, device=x.device))
        presents = []
        for i, layer in enumerate(self.model.layers):
            x, p = layer(x, cos, sin, mask, None if past is None else past[i], causal_only)
            presents.append(p)
        return self.model.norm(x), presents

    def forward(self, input_ids, attention_mask=None, position_ids=None, past=None):
        h, presents = self.hidden(input_ids, attention_mask, position_ids, past)
        return self.lm_head(h), presents


def init_weights(model, seed, std=0.02):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or "layernorm" in name:
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                p.copy_(torch.randn(p.shape, generator=g) * std)
