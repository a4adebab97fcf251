"""Builds models/tiny-reward (a sequence classifier, 1 logit = reward) and models/tiny-embed
(the same encoder, last_hidden_state for mean-pooled embeddings), both loadable by
@huggingface/transformers (config model_type "bert") and onnxruntime-node.

The reward model is trained for a few seconds on CPU to score a checkable property: the prompt
asks for a digit ("Say the digit 7.") and the completion earns a high reward when it contains that
digit, a low one when it has another digit or none. Fixed seed; run with Debian's torch 1.13:

    /usr/bin/python3 models/build_tiny_reward.py [out_dir=models]

Writes config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx per model and
expected.json (torch outputs on fixed texts, for the onnxruntime parity test).
"""
import json
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 1234
H, LAYERS, HEADS, MAX_POS = 32, 2, 2, 128
BATCH = int(os.environ.get("BATCH", "64"))
SPECIALS = ["<pad>", "<|im_end|>", "<|im_start|>"]
CHARS = ["\n"] + [chr(c) for c in range(32, 127)]
VOCAB = {t: i for i, t in enumerate(SPECIALS + CHARS)}
PAD = 0
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
)
# The simple template the verifier uses by default: prompt, newline, completion.
TEMPLATE = "{prompt}\n{completion}"


def encode(text):
    return [VOCAB[c] for c in text if c in VOCAB][:MAX_POS]


def batchify(texts):
    ids = [encode(t) for t in texts]
    T = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), T), PAD, dtype=torch.long)
    mask = torch.zeros((len(ids), T), dtype=torch.long)
    for i, x in enumerate(ids):  # right padding
        input_ids[i, : len(x)] = torch.tensor(x)
        mask[i, : len(x)] = 1
    return input_ids, mask


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(H), nn.LayerNorm(H)
        self.qkv, self.proj = nn.Linear(H, 3 * H), nn.Linear(H, H)
        self.mlp = nn.Sequential(nn.Linear(H, 2 * H), nn.GELU(), nn.Linear(2 * H, H))

    def forward(self, x, bias):
        B, T, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(H, dim=2)
        q = q.view(B, T, HEADS, H // HEADS).transpose(1, 2)
        k = k.view(B, T, HEADS, H // HEADS).transpose(1, 2)
        v = v.view(B, T, HEADS, H // HEADS).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-1, -2) / (H // HEADS) ** 0.5 + bias, dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(B, T, H))
        return x + self.mlp(self.ln2(x))


class Encoder(nn.Module):
    def __init__(self, causal=True):
        super().__init__()
        self.causal = causal
        self.tok, self.pos = nn.Embedding(len(VOCAB), H), nn.Embedding(MAX_POS, H)
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.ln = nn.LayerNorm(H)

    def forward(self, input_ids, attention_mask):
        T = input_ids.shape[1]
        pos = torch.arange(T, device=input_ids.device)
        x = self.tok(input_ids) + self.pos(pos)[None]
        keep = attention_mask[:, None, None, :] > 0
        if self.causal:
            keep = keep & (pos[None, :] <= pos[:, None])[None, None]  # key <= query
        bias = (1.0 - keep.float()) * -1e9  # finite, so fully padded rows stay NaN-free
        for b in self.blocks:
            x = b(x, bias)
        return self.ln(x)


class RewardModel(nn.Module):
    def __init__(self, enc):
        super().__init__()
        self.enc, self.head = enc, nn.Linear(H, 1)

    def forward(self, input_ids, attention_mask):
        h = self.enc(input_ids, attention_mask)
        # Last non-pad token (right padding): a causal encoder has read the whole text there.
        last = attention_mask.sum(dim=1) - 1
        idx = last.view(-1, 1, 1).expand(-1, 1, H)
        return self.head(torch.gather(h, 1, idx).squeeze(1))


class EmbedModel(nn.Module):
    def __init__(self, enc):
        super().__init__()
        self.enc = enc

    def forward(self, input_ids, attention_mask):
        return self.enc(input_ids, attention_mask)


FILLERS = ["The answer is {}.", "{}", "I think it is {}", "It's {}!", "ok: {}", "{} for sure", "here you go {}"]
NO_DIGIT = ["I do not know.", "no idea", "Hello there", "maybe later", "The answer is seven.", "ok"]


def example(rng):
    d = rng.randrange(10)
    prompt = f"Say the digit {d}."
    r = rng.random()
    if r < 0.5:
        completion, label = rng.choice(FILLERS).format(d), 1.0
    elif r < 0.85:
        other = rng.choice([x for x in range(10) if x != d])
        completion, label = rng.choice(FILLERS).format(other), 0.0
    else:
        completion, label = rng.choice(NO_DIGIT), 0.0
    return TEMPLATE.format(prompt=prompt, completion=completion), label


WORDS = ("cat dog bird fish horse mouse tree river mountain ocean city road car train plane ship "
         "money bank price market stock sales revenue profit code bug test server error deploy "
         "red green blue small large fast slow happy sad old new hot cold rain snow sun").split()


def sentence(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 8)))


def perturb(text, rng):
    words = text.split()
    op = rng.random()
    if op < 0.33 and len(words) > 3:
        del words[rng.randrange(len(words))]
    elif op < 0.66:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    else:
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    return " ".join(words)


def mean_pool(h, mask):
    m = mask.unsqueeze(-1).float()
    return F.normalize((h * m).sum(1) / m.sum(1), dim=-1)


def train_embedder(rng, steps):
    """Contrastive (InfoNCE, SimCSE-style) training: a sentence and a lightly edited copy embed close,
    other sentences in the batch far apart."""
    enc = Encoder(causal=False)
    opt = torch.optim.AdamW(enc.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - s / steps)
    t0 = time.time()
    for step in range(steps):
        base = [sentence(rng) for _ in range(32)]
        ids, mask = batchify(base + [perturb(b, rng) for b in base])
        e = mean_pool(enc(ids, mask), mask)
        sim = e[:32] @ e[32:].T / 0.05
        loss = F.cross_entropy(sim, torch.arange(32))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"embed step {step} loss {loss.item():.4f} {time.time() - t0:.1f}s", flush=True)
    return enc.eval()


def write_folder(out, config, onnx_model, names_out, dummy):
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    added = [dict(id=i, content=t, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
             for i, t in enumerate(SPECIALS)]
    tokenizer = dict(version="1.0", truncation=None, padding=None, added_tokens=added, normalizer=None,
                     pre_tokenizer=None, post_processor=None, decoder=dict(type="Fuse"),
                     model=dict(type="BPE", dropout=None, unk_token=None, continuing_subword_prefix=None,
                                end_of_word_suffix=None, fuse_unk=False, byte_fallback=False, ignore_merges=False,
                                vocab=VOCAB, merges=[]))
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, indent=1)
    tok_config = dict(tokenizer_class="PreTrainedTokenizerFast", bos_token=None, eos_token="<|im_end|>",
                      pad_token="<pad>", unk_token=None, padding_side="right", add_bos_token=False,
                      add_eos_token=False, model_max_length=MAX_POS, clean_up_tokenization_spaces=False,
                      chat_template=CHAT_TEMPLATE)
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(tok_config, f, indent=2)
    torch.onnx.export(onnx_model, dummy, os.path.join(out, "onnx", "model.onnx"),
                      input_names=["input_ids", "attention_mask"], output_names=names_out,
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                                    names_out[0]: {0: "batch", 1: "sequence"} if names_out[0] == "last_hidden_state" else {0: "batch"}},
                      opset_version=14, do_constant_folding=True)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)))
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    # Debian's torch uses the reference BLAS; one thread avoids contention on a busy 2-core box.
    torch.set_num_threads(1)
    enc = Encoder()
    model = RewardModel(enc)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    t0 = time.time()
    steps = int(os.environ.get("STEPS", "2000"))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - s / steps)
    for step in range(steps):
        batch = [example(rng) for _ in range(BATCH)]
        ids, mask = batchify([t for t, _ in batch])
        y = torch.tensor([l for _, l in batch])
        loss = F.binary_cross_entropy_with_logits(model(ids, mask).squeeze(1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step} loss {loss.item():.4f} {time.time() - t0:.1f}s", flush=True)
    model.eval()
    test_rng = random.Random(SEED + 1)
    held = [example(test_rng) for _ in range(1000)]
    with torch.no_grad():
        ids, mask = batchify([t for t, _ in held])
        pred = model(ids, mask).squeeze(1) > 0
    acc = sum(int(p) == int(l) for p, l in zip(pred.tolist(), [l for _, l in held])) / len(held)
    print(f"trained {steps} steps in {time.time() - t0:.1f}s; held-out accuracy {acc:.3f}")

    common = dict(model_type="bert", hidden_size=H, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                  intermediate_size=2 * H, max_position_embeddings=MAX_POS, vocab_size=len(VOCAB),
                  pad_token_id=PAD, transformers_version="4.46.0",
                  arbiter=dict(pooling="last_non_pad", attention="causal", padding_side="right",
                               template=TEMPLATE, recipe="models/build_tiny_reward.py", seed=SEED,
                               task="reward > 0 when the completion contains the digit the prompt asks for",
                               heldout_accuracy=acc))
    dummy = batchify(["Say the digit 3.\nThe answer is 3.", "hi"])
    write_folder(os.path.join(out_dir, "tiny-reward"),
                 dict(common, architectures=["BertForSequenceClassification"], num_labels=1,
                      id2label={"0": "reward"}, label2id={"reward": 0}, problem_type="regression"),
                 model, ["logits"], dummy)
    embed_enc = train_embedder(random.Random(SEED + 2), int(os.environ.get("EMBED_STEPS", "400")))
    embed_config = dict(common, architectures=["BertModel"])
    embed_config["arbiter"] = dict(common["arbiter"], pooling="mean", attention="bidirectional",
                                   task="contrastive: a sentence and a lightly edited copy embed close")
    write_folder(os.path.join(out_dir, "tiny-embed"), embed_config, EmbedModel(embed_enc), ["last_hidden_state"], dummy)

    # Expected torch outputs for the parity test (texts padded together in one batch).
    texts = ["Say the digit 7.\nThe answer is 7.", "Say the digit 7.\nThe answer is 2.", "Say the digit 4.\nno idea",
             "Say the digit 0.\n0", "red cat river happy train", "red cat river sad train", "stock profit server error deploy"]
    with torch.no_grad():
        ids, mask = batchify(texts)
        logits = model(ids, mask).squeeze(1).tolist()
        emb = mean_pool(embed_enc(ids, mask), mask)
    expected = dict(texts=texts, reward_logits=logits, embeddings=emb.tolist())
    for name in ["tiny-reward", "tiny-embed"]:
        with open(os.path.join(out_dir, name, "expected.json"), "w") as f:
            json.dump(expected, f, indent=1)
    print("wrote", out_dir)


if __name__ == "__main__":
    main()
