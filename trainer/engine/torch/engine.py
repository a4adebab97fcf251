"""The torch engine's tensor operations (the calls of trainer/engine/protocol.ts)."""
import contextlib
import json
import os
import random
import sys
import time

import torch

import safetensors_io
from export_onnx import export as export_onnx
from fused_logprob import fused_token_logprobs
from lora import apply_lora, merged_state_dict
from model import CausalLM, ModelConfig, init_weights
from static_decode import sample_static


class EngineRequestError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def check_tokens(tokens, vocab_size, what):
    if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= vocab_size):
        bad = tokens[(tokens < 0) | (tokens >= vocab_size)][0].item()
        raise EngineRequestError("invalid_request", f"{what}: token id {bad} outside the vocabulary [0, {vocab_size})")


def pack(seq_tokens, prompt_lens, completion_lens):
    """Splits the flat token tensor into (prompt, completion) lists."""
    out, off = [], 0
    for p, c in zip(prompt_lens.tolist(), completion_lens.tolist()):
        out.append((seq_tokens[off:off + p].tolist(), seq_tokens[off + p:off + p + c].tolist()))
        off += p + c
    if off != seq_tokens.numel():
        raise EngineRequestError("invalid_request", f"tokens has {seq_tokens.numel()} entries, lengths sum to {off}")
    return out


def blas_library():
    """Which BLAS this process loaded. Debian's torch 1.13 calls the system libblas.so.3: the
    reference BLAS is ~25x slower than OpenBLAS (apt install libopenblas0-pthread)."""
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return "unknown"
    for name in ("openblas", "mkl", "blis"):
        if name in maps:
            return name
    return "reference" if "libblas.so" in maps else "unknown"


class TorchEngine:
    def __init__(self, opts):
        self.model_dir = opts["modelDir"]
        cfg_path = os.path.join(self.model_dir, "config.json")
        if not os.path.exists(cfg_path):
            raise EngineRequestError("invalid_request", f"modelDir {self.model_dir!r}: config.json not found")
        with open(cfg_path) as f:
            self.cfg_raw = json.load(f)
        gen_path = os.path.join(self.model_dir, "generation_config.json")
        self.gen_cfg = {}
        if os.path.exists(gen_path):
            with open(gen_path) as f:
                self.gen_cfg = json.load(f)
        try:
            self.cfg = ModelConfig(self.cfg_raw)
        except ValueError as e:
            raise EngineRequestError("invalid_request", f"{cfg_path}: {e}") from None
        want = opts.get("device", "auto")
        self.device = torch.device("cuda" if want == "auto" and torch.cuda.is_available() else
                                   ("cpu" if want == "auto" else want))
        if opts.get("threads"):
            torch.set_num_threads(int(opts["threads"]))
        seed = int(opts.get("seed", 0))
        torch.manual_seed(seed)
        random.seed(seed)
        self.model = CausalLM(self.cfg)
        if opts.get("randomInit"):
            init_weights(self.model, seed)
        else:
            try:
                sd = safetensors_io.load_model_dir(self.model_dir)
            except ValueError as e:
                raise EngineRequestError("invalid_request", str(e)) from None
            self._load_weights(sd)
        lora = opts.get("lora")
        self.lora = lora
        if lora:
            apply_lora(self.model, int(lora.get("rank", 8)), float(lora.get("alpha", 16)),
                       set(lora.get("targetModules", ["q_proj", "k_proj", "v_proj", "o_proj"])), seed)
        self.model.to(self.device)
        if self.device.type == "cpu" and blas_library() == "reference":
            print("torch worker: WARNING the reference BLAS is loaded; CPU training is ~25x slower than with "
                  "OpenBLAS (apt-get install libopenblas0-pthread)", file=sys.stderr)
        cuda = self.device.type == "cuda"
        self.model.set_sdpa(cuda and hasattr(torch.nn.functional, "scaled_dot_product_attention"))
        self.bf16 = cuda and opts.get("bf16", True)
        self.micro_tokens = int(opts.get("microBatchTokens", 4096))
        self.fused_logprobs = bool(opts.get("fusedLogprobs", False))
        if opts.get("compile") and hasattr(torch, "compile"):
            # fuses each layer's norm/rope/SiLU elementwise work; the static decoder calls the
            # submodules directly and keeps its CUDA graph
            for layer in self.model.model.layers:
                layer.forward = torch.compile(layer.forward, dynamic=True)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.opt = None
        self.steps = 0
        self.sample_calls = 0

    def _load_weights(self, sd):
        sd = {k: v.float() for k, v in sd.items()}
        missing, unexpected = self.model.load_state_dict(sd, strict=False)
        missing = [k for k in missing if not (k == "lm_head.weight" and self.cfg.tie_word_embeddings)]
        unexpected = [k for k in unexpected if "rotary_emb" not in k]
        if missing or unexpected:
            raise EngineRequestError("invalid_request",
                                     f"{self.model_dir}: weights do not match config.json "
                                     f"(missing {missing[:5]}, unexpected {unexpected[:5]})")

    def info(self):
        return {"blas": blas_library(), "name": "torch", "vocabSize": self.cfg.vocab_size, "eosTokenId": self._eos(),
                "device": str(self.device), "torchVersion": torch.__version__,
                "numParams": sum(p.numel() for p in self.model.parameters()),
                "trainableParams": sum(p.numel() for p in self.params)}

    def _stop_ids(self, given):
        """stopTokenIds absent: stop at the model's eos_token_id(s), as HF generate does; [] never stops."""
        if given is not None:
            return list(given)
        ids = []
        for src in (self.gen_cfg, self.cfg_raw):
            e = src.get("eos_token_id")
            ids += e if isinstance(e, list) else ([] if e is None else [e])
        return sorted(set(int(i) for i in ids))

    def _eos(self):
        e = self.cfg_raw.get("eos_token_id")
        return e[0] if isinstance(e, list) and e else e

    def _autocast(self):
        if self.bf16:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # ---- sampling
    def sample(self, prompts, n, args):
        self.sample_calls += 1
        seed = args.get("seed")
        if seed is None:
            seed = torch.randint(0, 2**31 - 1, (1,)).item()
        pad = self.cfg_raw.get("pad_token_id")
        self.model.eval()
        # static KV cache, replayed as a CUDA graph on GPU (static_decode.py); same outputs as sampling.py
        return sample_static(self.model, prompts, n, int(args["maxTokens"]),
                            temperature=float(args.get("temperature", 1.0)), top_p=float(args.get("topP", 1.0)),
                            seed=int(seed), stop_ids=self._stop_ids(args.get("stopTokenIds")),
                            pad_id=int(pad if pad is not None else 0), device=self.device,
                            autocast=self._autocast if self.bf16 else None)

    # ---- log-probs
    def _micro_batches(self, seqs):
        batch, longest = [], 0
        for i, (p, c) in enumerate(seqs):
            n = len(p) + len(c)
            if batch and max(longest, n) * (len(batch) + 1) > self.micro_tokens:
                yield batch
                batch, longest = [], 0
            batch.append(i)
            longest = max(longest, n)
        if batch:
            yield batch

    def _token_logprobs(self, seqs, idx, want_entropy=False):
        """log pi of each completion token for seqs[idx], right-padded; returns (list of 1-D tensors, entropy sum)."""
        T = max(len(seqs[i][0]) + len(seqs[i][1]) for i in idx)
        ids = torch.zeros((len(idx), T), dtype=torch.long)
        rows, cols, targets = [], [], []
        for r, i in enumerate(idx):
            p, c = seqs[i]
            if len(p) == 0:
                raise EngineRequestError("invalid_request", f"sequence {i}: prompt must have at least one token")
            full = p + c
            ids[r, :len(full)] = torch.tensor(full, dtype=torch.long)
            for t in range(len(c)):
                rows.append(r)
                cols.append(len(p) + t - 1)
                targets.append(c[t])
        ids = ids.to(self.device)
        tgt = torch.tensor(targets, dtype=torch.long, device=self.device)
        with self._autocast():
            h, _ = self.model.hidden(ids)
            hs = h[torch.tensor(rows, device=self.device), torch.tensor(cols, device=self.device)]
        head = self.model.lm_head
        if self.fused_logprobs and isinstance(head, torch.nn.Linear) and head.bias is None:
            # never materialises [tokens, vocab] logits for backward (fused_logprob.py): less memory
            # (67 -> 42 GiB on the 0.5B GPU check), ~15% slower forward/backward from the recompute
            lp, ent_t = fused_token_logprobs(hs, head.weight, tgt,
                                             compute_dtype=torch.bfloat16 if self.bf16 else torch.float32)
            ent = ent_t.sum() if want_entropy else None
        else:
            with self._autocast():
                logits = head(hs)
            logp_all = torch.log_softmax(logits.float(), dim=-1)
            lp = logp_all.gather(-1, tgt[:, None])[:, 0]
            ent = -(logp_all.exp() * logp_all).sum(-1).sum() if want_entropy else None
        out, off = [], 0
        for i in idx:
            c = len(seqs[i][1])
            out.append(lp[off:off + c])
            off += c
        return out, ent

    @torch.no_grad()
    def logprobs(self, seqs):
        self.model.eval()
        res = [None] * len(seqs)
        for idx in self._micro_batches(seqs):
            lps, _ = self._token_logprobs(seqs, idx)
            for i, lp in zip(idx, lps):
                res[i] = lp.float().cpu()
        return res

    def forward_backward(self, seqs, weights):
        self.model.train()
        res = [None] * len(seqs)
        ent_sum, n_tok = 0.0, 0
        for idx in self._micro_batches(seqs):
            lps, ent = self._token_logprobs(seqs, idx, want_entropy=True)
            surrogate = sum((lp * weights[i].to(self.device)).sum() for i, lp in zip(idx, lps))
            (-surrogate).backward()
            ent_sum += float(ent.detach())
            for i, lp in zip(idx, lps):
                res[i] = lp.detach().float().cpu()
                n_tok += lp.numel()
        return res, (ent_sum / n_tok if n_tok else 0.0)

    def optim_step(self, a):
        if self.opt is None:
            self.opt = torch.optim.AdamW(self.params, lr=float(a["learningRate"]))
        for g in self.opt.param_groups:
            g["lr"] = float(a["learningRate"])
            g["betas"] = (float(a.get("beta1", 0.9)), float(a.get("beta2", 0.999)))
            g["eps"] = float(a.get("eps", 1e-8))
            g["weight_decay"] = float(a.get("weightDecay", 0.0))
        grads = [p.grad for p in self.params if p.grad is not None]
        norm = torch.norm(torch.stack([g.detach().float().norm() for g in grads])).item() if grads else 0.0
        max_norm = float(a.get("maxGradNorm") or 0)
        if max_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.params, max_norm)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        self.steps += 1
        return norm

    # ---- state
    def save(self, d):
        os.makedirs(d, exist_ok=True)
        safetensors_io.save_file(self.model.state_dict(), os.path.join(d, "engine_state.safetensors"))
        torch.save({"optimizer": self.opt.state_dict() if self.opt else None,
                    "torch_rng": torch.get_rng_state(), "py_rng": random.getstate(),
                    "steps": self.steps}, os.path.join(d, "engine_extra.pt"))
        with open(os.path.join(d, "engine.json"), "w") as f:
            json.dump({"engine": "torch", "steps": self.steps, "lora": self.lora, "savedAt": time.time()}, f)

    def load(self, d):
        st = os.path.join(d, "engine_state.safetensors")
        if not os.path.exists(st):
            raise EngineRequestError("invalid_request", f"load: {st} not found")
        sd = safetensors_io.load_file(st)
        missing, unexpected = self.model.load_state_dict({k: v.to(self.device) for k, v in sd.items()}, strict=False)
        if missing or unexpected:
            raise EngineRequestError("invalid_request",
                                     f"load: {st} does not match this engine (missing {missing[:5]}, unexpected {unexpected[:5]})")
        extra = torch.load(os.path.join(d, "engine_extra.pt"), weights_only=False)  # RNG + optimiser state, written by save()
        if extra.get("optimizer") is not None:
            self.opt = torch.optim.AdamW(self.params, lr=1e-3)
            self.opt.load_state_dict(extra["optimizer"])
        torch.set_rng_state(extra["torch_rng"])
        random.setstate(extra["py_rng"])
        self.steps = int(extra.get("steps", 0))
        for p in self.params:
            p.grad = None

    def export(self, d, fmt):
        sd = {k: v.detach().float().cpu() for k, v in merged_state_dict(self.model).items()}
        if fmt == "onnx":
            export_onnx(sd, self.cfg_raw, d, source_dir=self.model_dir)
        elif fmt == "safetensors":
            os.makedirs(d, exist_ok=True)
            safetensors_io.save_file(sd, os.path.join(d, "model.safetensors"), {"format": "pt"})
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(self.cfg_raw, f, indent=2)
        else:
            raise EngineRequestError("unsupported", f"export format {fmt!r} is not supported (onnx, safetensors)")
        # every export also carries safetensors weights so the folder can seed a new engine
        if fmt == "onnx":
            safetensors_io.save_file(sd, os.path.join(d, "model.safetensors"), {"format": "pt"})

    # ---- debug (tests only)
    def grad_vector(self):
        return torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).detach().float().reshape(-1).cpu()
                          for p in self.params])

    def zero_grad(self):
        for p in self.params:
            p.grad = None
