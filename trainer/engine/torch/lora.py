"""LoRA adapters (Hu et al. 2021, https://arxiv.org/abs/2106.09685): W x + (alpha/r) B A x."""
import math

import torch
import torch.nn as nn


class LoRALinear(nn.Module):
    def __init__(self, base, rank, alpha, seed):
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        g = torch.Generator().manual_seed(seed)
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features))
        with torch.no_grad():
            bound = 1.0 / math.sqrt(base.in_features)
            self.lora_A.copy_(torch.rand(self.lora_A.shape, generator=g) * 2 * bound - bound)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t().to(x.dtype)) @ self.lora_B.t().to(x.dtype) * self.scale

    def merged_weight(self):
        return self.base.weight + self.scale * (self.lora_B @ self.lora_A)


def apply_lora(model, rank, alpha, targets, seed=0):
    """Freezes every weight and wraps nn.Linear modules whose name ends with one of targets."""
    for p in model.parameters():
        p.requires_grad_(False)
    n = 0
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.Linear) and child_name in targets:
                setattr(module, child_name, LoRALinear(child, rank, alpha, seed + n))
                n += 1
    if n == 0:
        raise ValueError(f"lora.targetModules {sorted(targets)} matched no linear layer")
    return n


def merged_state_dict(model):
    """HF-named weights with LoRA folded in (for export and for saving a plain checkpoint)."""
    out = {}
    for name, module in model.named_modules():
        if isinstance(module, LoRALinear):
            out[name + ".weight"] = module.merged_weight().detach()
            if module.base.bias is not None:
                out[name + ".bias"] = module.base.bias.detach()
    for name, t in model.state_dict().items():
        if ".lora_" in name or ".base." in name:
            continue
        out.setdefault(name, t)
    return out
