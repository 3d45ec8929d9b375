"""Experiment: fine-tune MiniLM's top layers for frustration on GoEmotions train (tune split only; nothing ships).

    TORCH_THREADS=2 python bench/finetune_frustration.py [--top 2] [--epochs 1] [--lr 5e-5]

The bottom 6 - --top layers stay frozen: their output for every GoEmotions
train comment is computed once and cached (float16, ~640 MB for --top 2)
under bench/out/, so an epoch only runs the top layers forward and backward.
A copy of the top layers plus a linear head over their mean-pooled output is
trained on the fit part (bench/train_frustration.py's split, target = any of
anger, annoyance, disappointment, disgust) with AdamW, linear warm-up and
decay; every 500 steps and at the end it prints, on the tune part (other-negative
rows left out, as in the dev file), the best-F1 point and the best F1 with
precision >= 0.75, for the classifier alone and with the wording cues.
bench/README.md has what it gave against the shipped head.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time

import numpy as np
import torch

from bench.make_detect_data import FRUSTRATION, goemotions_label, goemotions_rows
from bench.train_frustration import CACHE, combined_scores, tune_part
from bot.kb.encoder import Encoder


def frozen_states(encoder: Encoder, texts: list[str], layer: int) -> tuple[np.ndarray, np.ndarray]:
    """(token states of hidden layer `layer` for all texts, concatenated; tokens per text), cached."""
    path, lengths_path = CACHE / f"train_tokens{layer}.npy", CACHE / f"train_tokens{layer}_len.npy"
    if not path.exists():
        model = encoder._model[0]
        states, lengths = [], []
        with torch.inference_mode():
            for start in range(0, len(texts), 128):
                batch = model.tokenizer(texts[start:start + 128], padding=True, truncation=True, max_length=128,
                                        return_tensors="pt")
                hidden = model.auto_model(**batch, output_hidden_states=True).hidden_states[layer]
                for row, count in zip(hidden, batch["attention_mask"].sum(1).tolist()):
                    states.append(row[:count].numpy().astype(np.float16))
                    lengths.append(count)
        np.save(path, np.concatenate(states))
        np.save(lengths_path, np.array(lengths))
    return np.load(path, mmap_mode="r"), np.load(lengths_path)


def operating_points(scores: np.ndarray, truth: np.ndarray) -> dict:
    order = np.argsort(-scores)
    tp = np.cumsum(truth[order])
    k = np.arange(1, len(order) + 1)
    precision, recall = tp / k, tp / truth.sum()
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-9)
    best = int(f1.argmax())
    ok = np.flatnonzero((precision >= 0.75) & (k > 20))
    point = lambda i: [round(float(precision[i]), 3), round(float(recall[i]), 3), round(float(f1[i]), 3)]
    strict = point(int(ok[f1[ok].argmax()])) if len(ok) else None  # None: precision never reaches 0.75
    return {"best_f1": point(best), "best_f1_at_precision_0.75": strict}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=2, help="layers fine-tuned (of 6)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    torch.manual_seed(6)
    rng = np.random.default_rng(6)
    encoder = Encoder(threads=int(os.environ.get("TORCH_THREADS", "2")))
    auto_model = encoder._model[0].auto_model
    from transformers.masking_utils import create_bidirectional_mask

    rows = goemotions_rows("train")
    texts = [t for t, _, _ in rows]
    y = np.array([bool(e & FRUSTRATION) for _, e, _ in rows], dtype=np.float32)
    tune = np.array([tune_part(c) for _, _, c in rows])
    scored = np.flatnonzero(tune & np.array([goemotions_label(e) is not None for _, e, _ in rows]))
    first = len(auto_model.encoder.layer) - args.top
    flat, lengths = frozen_states(encoder, texts, first)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    top = torch.nn.ModuleList(copy.deepcopy(auto_model.encoder.layer[first:]))
    head = torch.nn.Linear(auto_model.config.hidden_size, 1)

    def forward(index: np.ndarray) -> torch.Tensor:
        width = int(lengths[index].max())
        hidden = np.zeros((len(index), width, auto_model.config.hidden_size), np.float32)
        mask = np.zeros((len(index), width), np.int64)
        for j, i in enumerate(index):
            hidden[j, :lengths[i]], mask[j, :lengths[i]] = flat[offsets[i]:offsets[i + 1]], 1
        h, m = torch.from_numpy(hidden), torch.from_numpy(mask)
        attention = create_bidirectional_mask(config=auto_model.config, inputs_embeds=h, attention_mask=m)
        for layer in top:
            h = layer(h, attention)
        weights = m.unsqueeze(-1).float()
        return head((h * weights).sum(1) / weights.sum(1).clamp(min=1)).squeeze(-1)

    def batches(index: np.ndarray, size: int, shuffle: bool) -> list[np.ndarray]:
        index = index[np.argsort(lengths[index], kind="stable")]  # like lengths together: little padding
        chunks = [index[s:s + size] for s in range(0, len(index), size)]
        if shuffle:
            rng.shuffle(chunks)
        return chunks

    def report(step: int) -> None:
        top.eval()
        with torch.inference_mode():
            p = np.concatenate([torch.sigmoid(forward(b)).numpy() for b in batches(scored, 256, False)])
        top.train()
        order = np.concatenate(batches(scored, 256, False))
        truth = y[order].astype(bool)
        print(json.dumps({"step": step, "classifier": operating_points(p, truth),
                          "with_cues": operating_points(combined_scores([texts[i] for i in order], p, True), truth)}), flush=True)

    fit = np.flatnonzero(~tune)
    steps = int(args.epochs * len(fit) / args.batch)
    optimizer = torch.optim.AdamW([{"params": top.parameters(), "lr": args.lr}, {"params": head.parameters(), "lr": 1e-3}],
                                  weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 100) * max(0.0, 1 - s / steps))
    started, step = time.monotonic(), 0
    top.train()
    while step < steps:
        for index in batches(fit, args.batch, True):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(forward(index), torch.from_numpy(y[index]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            if step % 500 == 0 or step == steps:
                print(f"step {step}/{steps}, {time.monotonic() - started:.0f} s", flush=True)
                report(step)
            if step >= steps:
                break


if __name__ == "__main__":
    main()
