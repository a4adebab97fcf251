"""Framed stdio transport: u32 LE frame length, then u32 LE header length, a JSON header and the raw
little-endian tensor payloads listed in header["tensors"] ({name, dtype, shape}), in order."""
import json
import struct

import torch

DTYPES = {"int32": torch.int32, "float32": torch.float32}
SIZES = {"int32": 4, "float32": 4}


class ProtocolError(Exception):
    pass


def _read_exact(stream, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def read_frame(stream):
    head = _read_exact(stream, 4)
    if head is None:
        return None
    (n,) = struct.unpack("<I", head)
    body = _read_exact(stream, n)
    if body is None or len(body) < 4:
        raise ProtocolError("truncated frame")
    (h,) = struct.unpack("<I", body[:4])
    header = json.loads(body[4:4 + h].decode("utf-8"))
    off = 4 + h
    tensors = {}
    for spec in header.get("tensors", []):
        dt = spec["dtype"]
        if dt not in DTYPES:
            raise ProtocolError(f"tensor {spec.get('name')!r}: unsupported dtype {dt!r}")
        numel = 1
        for s in spec["shape"]:
            numel *= int(s)
        nbytes = numel * SIZES[dt]
        if off + nbytes > len(body):
            raise ProtocolError(f"tensor {spec['name']!r}: payload shorter than its shape {spec['shape']}")
        data = bytearray(body[off:off + nbytes])
        t = torch.frombuffer(data, dtype=DTYPES[dt]) if numel else torch.empty(0, dtype=DTYPES[dt])
        tensors[spec["name"]] = t.reshape([int(s) for s in spec["shape"]])
        off += nbytes
    return header, tensors


def write_frame(stream, header, tensors=None):
    specs, chunks = [], []
    for name, t in (tensors or {}).items():
        t = t.detach().cpu().contiguous()
        dt = "int32" if t.dtype in (torch.int32, torch.int64, torch.long) else "float32"
        t = t.to(DTYPES[dt])
        specs.append({"name": name, "dtype": dt, "shape": list(t.shape)})
        chunks.append(t.numpy().tobytes())
    header = dict(header, tensors=specs)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    payload = b"".join(chunks)
    body_len = 4 + len(hb) + len(payload)
    stream.write(struct.pack("<I", body_len) + struct.pack("<I", len(hb)) + hb + payload)
    stream.flush()
