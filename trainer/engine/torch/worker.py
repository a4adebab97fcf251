"""Torch engine worker: serves trainer/engine/protocol.ts over framed stdio (see protocol.py).
Started by trainer/engine/torch/client.ts; stdout carries frames only, logs go to stderr."""
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from protocol import ProtocolError, read_frame, write_frame  # noqa: E402

PROTOCOL_VERSION = 1


def _lengths(tensors, *names):
    for n in names:
        if n not in tensors:
            raise ValueError(f"missing tensor {n!r}")
    return [tensors[n] for n in names]


def handle(state, op, args, t):
    from engine import EngineRequestError, TorchEngine, check_tokens, pack
    eng = state.get("engine")
    if op == "init":
        if int(args.get("protocolVersion", -1)) != PROTOCOL_VERSION:
            raise EngineRequestError("protocol", f"client speaks protocol {args.get('protocolVersion')}, "
                                                 f"worker speaks {PROTOCOL_VERSION}")
        state["engine"] = TorchEngine(args)
        return dict(state["engine"].info(), protocolVersion=PROTOCOL_VERSION), {}
    if op == "ping":
        return {"pong": True}, {}
    if op == "debug_sleep":
        time.sleep(float(args["seconds"]))
        return {}, {}
    if eng is None:
        raise EngineRequestError("protocol", f"op {op!r} before init")
    if op == "sample":
        flat, lens = _lengths(t, "prompt_tokens", "prompt_lens")
        check_tokens(flat, eng.cfg.vocab_size, "sample prompts")
        if int(args.get("n", 0)) < 1 or int(args.get("maxTokens", 0)) < 1:
            raise EngineRequestError("invalid_request", f"sample: n and maxTokens must be >= 1 (got n={args.get('n')}, "
                                                        f"maxTokens={args.get('maxTokens')})")
        prompts, off = [], 0
        for n in lens.tolist():
            prompts.append(flat[off:off + n].tolist())
            off += n
        if any(len(p) == 0 for p in prompts):
            raise EngineRequestError("invalid_request", "sample: every prompt needs at least one token")
        groups = eng.sample(prompts, int(args["n"]), args)
        toks, clens, lps, fin = [], [], [], []
        for g in groups:
            for s in g:
                toks += s["completion"]
                lps += s["logprobs"]
                clens.append(len(s["completion"]))
                fin.append(s["finish"])
        return {"finish": fin}, {"tokens": torch.tensor(toks, dtype=torch.int32),
                                 "lens": torch.tensor(clens, dtype=torch.int32),
                                 "logprobs": torch.tensor(lps, dtype=torch.float32)}
    if op in ("logprobs", "forward_backward", "debug_direct_grad"):
        tokens, plens, clens = _lengths(t, "tokens", "prompt_lens", "completion_lens")
        check_tokens(tokens, eng.cfg.vocab_size, op)
        seqs = pack(tokens, plens, clens)
        splits = [len(c) for _, c in seqs]
        if op == "logprobs":
            return {}, {"logprobs": torch.cat(eng.logprobs(seqs)) if seqs else torch.zeros(0)}
        if op == "forward_backward":
            (w,) = _lengths(t, "weights")
            if w.numel() != sum(splits):
                raise EngineRequestError("invalid_request",
                                         f"weights has {w.numel()} entries, completions have {sum(splits)} tokens")
            if not bool(torch.isfinite(w).all()):
                raise EngineRequestError("invalid_request", "forward_backward: weights contain NaN or infinity")
            lps, ent = eng.forward_backward(seqs, list(torch.split(w, splits)))
            return {"entropy": ent}, {"logprobs": torch.cat(lps) if lps else torch.zeros(0)}
        from direct_loss import direct_loss
        old, adv = _lengths(t, "old_logprobs", "advantages")
        g, loss = direct_loss(eng, seqs, list(torch.split(old, splits)), adv.tolist(), args)
        return {"loss": loss}, {"grad": g}
    if op == "optim_step":
        return {"gradNorm": eng.optim_step(args)}, {}
    if op == "save":
        eng.save(args["dir"])
        return {}, {}
    if op == "load":
        eng.load(args["dir"])
        return {}, {}
    if op == "export":
        eng.export(args["dir"], args.get("format", "onnx"))
        return {}, {}
    if op == "debug_grad":
        return {}, {"grad": eng.grad_vector()}
    if op == "debug_zero_grad":
        eng.zero_grad()
        return {}, {}
    raise EngineRequestError("invalid_request", f"unknown op {op!r}")


def main():
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed by accident goes to stderr, never into the frame stream
    inp = os.fdopen(os.dup(0), "rb")
    state = {}
    while True:
        try:
            frame = read_frame(inp)
        except ProtocolError as e:
            print(f"torch worker: {e}", file=sys.stderr)
            return 2
        if frame is None:
            return 0
        header, tensors = frame
        rid, op = header.get("id"), header.get("op")
        if op == "shutdown":
            write_frame(out, {"id": rid, "ok": True, "result": {}})
            return 0
        try:
            result, payload = handle(state, op, header.get("args") or {}, tensors)
            write_frame(out, {"id": rid, "ok": True, "result": result}, payload)
        except Exception as e:  # every failure becomes an error frame; the worker keeps serving
            code = getattr(e, "code", None) or ("invalid_request" if isinstance(e, (ValueError, KeyError)) else "internal")
            print(traceback.format_exc(), file=sys.stderr)
            write_frame(out, {"id": rid, "ok": False, "error": {"code": code, "message": f"{op}: {e}"}})


if __name__ == "__main__":
    sys.exit(main())
