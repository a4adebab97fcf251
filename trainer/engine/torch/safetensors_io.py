"""Minimal safetensors reader/writer.

Hand-written because the `safetensors` package is not available for torch 1.13 on Debian 12's apt.
Format (https://github.com/huggingface/safetensors): 8-byte little-endian header length, a JSON
header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the raw
little-endian tensor bytes.
"""
import json
import os
import struct

import torch

_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


class SafetensorsError(ValueError):
    pass


def load_file(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise SafetensorsError(f"{path}: file too short for a safetensors header")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise SafetensorsError(f"{path}: header length {n} exceeds file size {len(raw)}")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except ValueError as e:
        raise SafetensorsError(f"{path}: header is not valid JSON ({e})") from None
    base = 8 + n
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(meta.get("dtype"))
        if dtype is None:
            raise SafetensorsError(f"{path}: tensor {name!r} has unsupported dtype {meta.get('dtype')!r}")
        begin, end = meta["data_offsets"]
        shape = list(meta["shape"])
        buf = bytearray(raw[base + begin:base + end])
        numel = 1
        for s in shape:
            numel *= s
        if numel * torch.tensor([], dtype=dtype).element_size() != end - begin:
            raise SafetensorsError(f"{path}: tensor {name!r} byte size does not match shape {shape}")
        t = torch.frombuffer(buf, dtype=dtype) if numel > 0 else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(shape)
    return out


def save_file(tensors, path, metadata=None):
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype not in _NAMES:
            raise SafetensorsError(f"tensor {name!r} has unsupported dtype {t.dtype}")
        data = t.view(torch.uint8).numpy().tobytes() if t.numel() > 0 and t.dtype == torch.bfloat16 \
            else t.numpy().tobytes() if t.numel() > 0 else b""
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)  # align tensor data to 8 bytes, as the reference writer does
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)


def load_model_dir(model_dir):
    """Loads model.safetensors, or every shard listed in model.safetensors.index.json."""
    single = os.path.join(model_dir, "model.safetensors")
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(single):
        return load_file(single)
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        out = {}
        for shard in sorted(set(weight_map.values())):
            out.update(load_file(os.path.join(model_dir, shard)))
        return out
    raise SafetensorsError(f"{model_dir}: neither model.safetensors nor model.safetensors.index.json found")
