#!/usr/bin/env python3
"""Trains tandem's reference multi-task model on tandem's own synthetic street scenes, exports it to ONNX
with its preprocessing and output meaning in metadata_props.

The exact command of the committed run (on the H200 device machine, from a folder holding tandem's
built dist/ and package.json, with Node on PATH; see assets/models/README.md):

    python3 tools/train-reference/train.py --tandem "node dist/src/cli/main.js" --budget-s 300 \
        --train-count 24000 --batch 128 --procs 14 --out $OUT --peer

(--peer ran onnxruntime's quantize_static on heads this script exported itself; that export dropped the
depth decoder's skips, so its depth numbers were void, and the option is gone. The INT8 table's peer now
quantizes the heads of tandem's own split of the committed model: `npm run bench:int8 -- --peer-prep`,
`bench/quant_peer.py --steps heads`, `npm run bench:int8 -- --peer`; see BENCHMARKS.md.)

A CPU smoke test of the whole script at tiny scale (seconds; what CI does not run, a developer may):

    python3 tools/train-reference/train.py --tandem "npx tsx src/cli/main.ts" --device cpu \
        --train-count 64 --val-count 8 --calib-count 8 --budget-s 20 --batch 8 --out /tmp/tr-out

Data: `tandem scenes --format npy` writes images (uint8 HWC RGB), labels (Cityscapes train ids, 255 =
ignore) and depth (uint16, metres x 256, 0 = none); frames of one seed are independent, so --procs
processes each write a range (--offset). Train seed 1, held-out seed 1000, calibration seed 2000.

Model (module names as tandem's multitask builder): `backbone` a MiT encoder (overlapping patch
embeddings, efficient self-attention with sequence reduction, Mix-FFN with a 3x3 depthwise conv; widths
32/64/128/128, two blocks a stage), `seg_head` SegFormer's all-MLP head with the webinar's sum instead of
concat (logits at 1/4), `depth_head` a progressive decoder (nearest x2, 3x3 conv, ReLU, skip add) back to
the input size ending in a Sigmoid: s in (0, 1), depth = DMIN * (DMAX / DMIN) ** s metres (log-linear, so
an INT8 step of s is a constant ~3.8 % depth ratio). Losses: cross-entropy (ignore 255) on logits
upsampled to the label size, plus L1 on s against the log-depth target on valid pixels. AdamW, cosine
learning rate over the time budget (--budget-s is enforced inside: the loop stops, then it always
evaluates and exports).
"""
import argparse
import inspect
import json
import math
import os
import shlex
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = [
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation",
    "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle",
]
IGNORE = 255
DMIN, DMAX = 1.0, 120.0
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
STAGES = [  # channels, heads, sr ratio, depth, patch kernel, patch stride
    (32, 1, 8, 2, 7, 4),
    (64, 2, 4, 2, 3, 2),
    (128, 4, 2, 2, 3, 2),
    (128, 4, 1, 2, 3, 2),
]
SEG_EMBED = 128
DEPTH_CHANNELS = [128, 64, 32, 16, 16]


# ---------------------------------------------------------------- model

class OverlapPatchEmbed(nn.Module):
    def __init__(self, cin, cout, k, s):
        super().__init__()
        self.proj = nn.Conv2d(cin, cout, k, s, k // 2)
        self.norm = nn.LayerNorm(cout)

    def forward(self, x):
        x = self.proj(x)
        b, c, h, w = x.shape
        return self.norm(x.flatten(2).transpose(1, 2)), h, w


class Attention(nn.Module):
    def __init__(self, c, heads, sr):
        super().__init__()
        self.heads = heads
        self.scale = (c // heads) ** -0.5
        self.q = nn.Linear(c, c)
        self.kv = nn.Linear(c, 2 * c)
        self.proj = nn.Linear(c, c)
        self.sr_ratio = sr
        if sr > 1:
            self.sr = nn.Conv2d(c, c, sr, sr)
            self.norm = nn.LayerNorm(c)

    def forward(self, x, h, w):
        b, n, c = x.shape
        d = c // self.heads
        q = self.q(x).reshape(b, n, self.heads, d).permute(0, 2, 1, 3)
        src = x
        if self.sr_ratio > 1:
            src = self.sr(x.transpose(1, 2).reshape(b, c, h, w)).reshape(b, c, -1).transpose(1, 2)
            src = self.norm(src)
        kv = self.kv(src).reshape(b, -1, 2, self.heads, d).permute(2, 0, 3, 1, 4)
        k, v = kv[0], kv[1]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class MixFFN(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.fc1 = nn.Linear(c, hidden)
        self.dwconv = nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, c)

    def forward(self, x, h, w):
        b, n, _ = x.shape
        x = self.fc1(x)
        x = self.dwconv(x.transpose(1, 2).reshape(b, -1, h, w)).flatten(2).transpose(1, 2)
        return self.fc2(self.act(x))


class Block(nn.Module):
    def __init__(self, c, heads, sr):
        super().__init__()
        self.norm1 = nn.LayerNorm(c, eps=1e-6)
        self.attn = Attention(c, heads, sr)
        self.norm2 = nn.LayerNorm(c, eps=1e-6)
        self.mlp = MixFFN(c, 4 * c)

    def forward(self, x, h, w):
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.mlp(self.norm2(x), h, w)


class MiT(nn.Module):
    def __init__(self):
        super().__init__()
        cin = 3
        self.embeds = nn.ModuleList()
        self.blocks = nn.ModuleList()
        self.norms = nn.ModuleList()
        for c, heads, sr, depth, k, s in STAGES:
            self.embeds.append(OverlapPatchEmbed(cin, c, k, s))
            self.blocks.append(nn.ModuleList([Block(c, heads, sr) for _ in range(depth)]))
            self.norms.append(nn.LayerNorm(c, eps=1e-6))
            cin = c

    def forward(self, x):
        feats = []
        b = x.shape[0]
        for embed, blocks, norm in zip(self.embeds, self.blocks, self.norms):
            t, h, w = embed(x)
            for blk in blocks:
                t = blk(t, h, w)
            x = norm(t).reshape(b, h, w, -1).permute(0, 3, 1, 2)
            feats.append(x)
        return feats


class SegHead(nn.Module):
    """SegFormer's all-MLP decoder with the sum of the projected features instead of their concat."""

    def __init__(self, widths, embed, classes):
        super().__init__()
        self.linears = nn.ModuleList([nn.Conv2d(c, embed, 1) for c in widths])
        self.fuse = nn.Sequential(nn.Conv2d(embed, embed, 1, bias=False), nn.BatchNorm2d(embed), nn.ReLU())
        self.pred = nn.Conv2d(embed, classes, 1)

    def forward(self, c1, c2, c3, c4):
        size = c1.shape[-2:]
        y = self.linears[0](c1)
        for lin, f in zip(self.linears[1:], (c2, c3, c4)):
            y = y + F.interpolate(lin(f), size=size, mode="bilinear", align_corners=False)
        return self.pred(self.fuse(y))


class DepthHead(nn.Module):
    """Progressive decoder: nearest x2, 3x3 conv + ReLU, add the encoder feature of that size."""

    def __init__(self, widths, channels):
        super().__init__()
        self.ups = nn.ModuleList()
        cin = widths[-1]
        for c in channels:
            self.ups.append(nn.Conv2d(cin, c, 3, 1, 1))
            cin = c
        self.head = nn.Conv2d(cin, 1, 3, 1, 1)

    def forward(self, c1, c2, c3, c4):
        # Skips by position, not by a shape lookup: the ONNX tracer sees traced sizes, and a lookup keyed
        # on them silently missed every skip in the first export. Up-blocks 1..3 end at 1/16, 1/8, 1/4.
        x = c4
        for i, conv in enumerate(self.ups):
            x = F.relu(conv(F.interpolate(x, scale_factor=2.0, mode="nearest")))
            if i < 3:
                x = x + (c3, c2, c1)[i]
        return torch.sigmoid(self.head(x))


class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        widths = [s[0] for s in STAGES]
        self.seg_head = SegHead(widths, SEG_EMBED, len(CLASSES))
        self.depth_head = DepthHead(widths, DEPTH_CHANNELS)

    def forward(self, c1, c2, c3, c4):
        return self.seg_head(c1, c2, c3, c4), self.depth_head(c1, c2, c3, c4)


class Multitask(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = MiT()
        self.heads = Heads()
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1) * 255.0, persistent=False)
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1) * 255.0, persistent=False)

    def forward(self, image):
        return self.heads(*self.backbone(image))


# ---------------------------------------------------------------- data

def run(cmd, **kw):
    print("+", " ".join(shlex.quote(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def generate(tandem, seed, count, size, work, procs, tag):
    """Writes `count` frames of `seed` with `procs` tandem processes; returns (images, labels, depth) arrays."""
    procs = max(1, min(procs, count))
    per = math.ceil(count / procs)
    jobs = []
    t0 = time.time()
    for k in range(procs):
        start = k * per
        n = min(per, count - start)
        if n <= 0:
            break
        out = os.path.join(work, f"{tag}-{k}")
        cmd = shlex.split(tandem) + ["scenes", "--format", "npy", "--seed", str(seed), "--offset", str(start),
                                     "--count", str(n), "--size", size, "-o", out]
        jobs.append((subprocess.Popen(cmd, stdout=subprocess.DEVNULL), out))
    for p, _ in jobs:
        if p.wait() != 0:
            raise SystemExit(f"tandem scenes failed ({tag})")
    parts = [[np.load(os.path.join(out, f"{a}.npy")) for a in ("images", "labels", "depth")] for _, out in jobs]
    arrays = [np.concatenate([p[i] for p in parts]) for i in range(3)]
    print(f"generated {tag}: {arrays[0].shape[0]} frames of seed {seed} at {size} in {time.time() - t0:.1f} s "
          f"with {len(jobs)} tandem processes", flush=True)
    return arrays


def to_input(img_u8, model):
    """uint8 NHWC RGB → normalised float NCHW (the preprocessing stored in the ONNX metadata)."""
    x = img_u8.permute(0, 3, 1, 2).float()
    return (x - model.mean) / model.std


def depth_target(depth_u16):
    d = depth_u16.float() / 256.0
    valid = d > 0
    s = torch.log(d.clamp(DMIN, DMAX) / DMIN) / math.log(DMAX / DMIN)
    return s, valid


def decode_depth(s):
    return DMIN * (DMAX / DMIN) ** s


# ---------------------------------------------------------------- metrics (the definitions tandem's eval uses)

class Metrics:
    def __init__(self):
        self.conf = np.zeros((len(CLASSES), len(CLASSES)), np.int64)
        self.d = np.zeros(7)  # n, absrel, sqrel, se, selog, d1, d2 (d3 kept separately)
        self.d3 = 0.0

    def add(self, logits, labels, s, depth_u16):
        logits = F.interpolate(logits.float(), size=labels.shape[-2:], mode="bilinear", align_corners=False)
        pred = logits.argmax(1).flatten().cpu().numpy()
        gt = labels.flatten().cpu().numpy().astype(np.int64)
        keep = gt != IGNORE
        self.conf += np.bincount(gt[keep] * len(CLASSES) + pred[keep], minlength=len(CLASSES) ** 2).reshape(len(CLASSES), -1)
        g = depth_u16.double() / 256.0
        p = decode_depth(s.double()[:, 0])
        if p.shape[-2:] != g.shape[-2:]:
            p = F.interpolate(p[:, None], size=g.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
        v = g > 0
        p, g = p[v], g[v]
        ratio = torch.maximum(p / g, g / p)
        self.d += np.array([v.sum().item(), ((p - g).abs() / g).sum().item(), ((p - g) ** 2 / g).sum().item(),
                            ((p - g) ** 2).sum().item(), ((p.log() - g.log()) ** 2).sum().item(),
                            (ratio < 1.25).sum().item(), (ratio < 1.25 ** 2).sum().item()])
        self.d3 += (ratio < 1.25 ** 3).sum().item()

    def result(self):
        tp = np.diag(self.conf).astype(np.float64)
        union = self.conf.sum(0) + self.conf.sum(1) - tp
        iou = np.where(union > 0, tp / np.maximum(union, 1), np.nan)
        n = max(self.d[0], 1)
        return {
            "mIoU": float(np.nanmean(iou) * 100),
            "pixelAcc": float(tp.sum() / max(self.conf.sum(), 1) * 100),
            "iou": {CLASSES[i]: (None if np.isnan(x) else round(float(x) * 100, 2)) for i, x in enumerate(iou)},
            "absRel": self.d[1] / n, "sqRel": self.d[2] / n, "rmse": math.sqrt(self.d[3] / n),
            "rmseLog": math.sqrt(self.d[4] / n), "delta1": self.d[5] / n, "delta2": self.d[6] / n, "delta3": self.d3 / n,
        }


@torch.no_grad()
def evaluate(model, data, device, batch=64, heads=None):
    """FP32 metrics of `model` on (images, labels, depth); `heads` replaces the heads (a callable on features)."""
    model.eval()
    m = Metrics()
    images, labels, depth = data
    for i in range(0, images.shape[0], batch):
        x = to_input(torch.from_numpy(images[i:i + batch]).to(device), model)
        if heads is None:
            seg, s = model(x)
        else:
            seg, s = heads([f.float().cpu().numpy() for f in model.backbone(x)])
            seg, s = torch.from_numpy(seg), torch.from_numpy(s)
        m.add(seg.float().cpu(), torch.from_numpy(labels[i:i + batch]), s.float().cpu(), torch.from_numpy(depth[i:i + batch].astype(np.int32)))
    return m.result()


# ---------------------------------------------------------------- export

def onnx_export(module, args, path, input_names, output_names):
    kwargs = dict(opset_version=17, input_names=input_names, output_names=output_names, do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter: plain ops, names kept, opset 17 as asked
    torch.onnx.export(module, args, path, **kwargs)


def add_metadata(path, height, width, record):
    import onnx

    model = onnx.load(path)
    meta = {
        "tandem.model": "tandem-street: MiT encoder + SegFormer-style segmentation head + progressive depth decoder, trained on tandem's synthetic street scenes",
        "tandem.preprocess": json.dumps({
            "input": "image", "height": height, "width": width, "layout": "nchw", "channelOrder": "rgb",
            "scale": 1 / 255, "mean": MEAN, "std": STD, "resize": "stretch",
            "formula": "x = (pixel * scale - mean[c]) / std[c]",
        }),
        "tandem.outputs": json.dumps({
            "segmentation": {"kind": "segmentation-logits", "stride": 4, "ignoreIndex": IGNORE,
                             "classes": [{"trainId": i, "name": n} for i, n in enumerate(CLASSES)],
                             "note": "Cityscapes train ids; upsample the logits bilinearly to the image size, then argmax"},
            "depth": {"kind": "depth", "encoding": "log-sigmoid", "unit": "m", "min": DMIN, "max": DMAX,
                      "formula": "depth = min * (max / min) ** s, s = the output in (0, 1)"},
        }),
        "tandem.training": json.dumps(record),
    }
    del model.metadata_props[:]
    for k, v in meta.items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, path)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tandem", required=True, help='command that runs the tandem CLI, e.g. "node dist/src/cli/main.js"')
    ap.add_argument("--size", default="128x256")
    ap.add_argument("--train-count", type=int, default=24000)
    ap.add_argument("--val-count", type=int, default=256)
    ap.add_argument("--calib-count", type=int, default=64)
    ap.add_argument("--train-seed", type=int, default=1)
    ap.add_argument("--val-seed", type=int, default=1000)
    ap.add_argument("--calib-seed", type=int, default=2000)
    ap.add_argument("--procs", type=int, default=max(1, (os.cpu_count() or 2) - 2))
    ap.add_argument("--budget-s", type=float, default=330, help="training wall-clock budget (data generation and export not included)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--work", default="/tmp/tandem-train")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="tandem-street")
    ap.add_argument("--export-only", metavar="WEIGHTS_PT", help="skip training: load these weights and export them (with --record: the run's train-report.json)")
    ap.add_argument("--record", help="train-report.json of the run whose weights --export-only exports")
    args = ap.parse_args()

    t_start = time.time()
    torch.manual_seed(0)
    np.random.seed(0)
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    device = torch.device(args.device)
    height, width = (int(v) for v in args.size.lower().split("x"))

    if args.export_only:
        cpu_model = Multitask().eval()
        cpu_model.load_state_dict(torch.load(args.export_only, map_location="cpu"))
        record = {}
        if args.record:
            with open(args.record) as f:
                record = json.load(f)["record"]
        record["exported"] = f"torch {torch.__version__}, TorchScript exporter, opset 17"
        onnx_path = os.path.join(args.out, f"{args.name}.onnx")
        onnx_export(cpu_model, (torch.zeros(1, 3, height, width),), onnx_path, ["image"], ["segmentation", "depth"])
        add_metadata(onnx_path, height, width, record)
        print(f"exported {onnx_path}: {os.path.getsize(onnx_path) / 1e6:.2f} MB", flush=True)
        return 0
    train = generate(args.tandem, args.train_seed, args.train_count, args.size, args.work, args.procs, "train")
    val = generate(args.tandem, args.val_seed, args.val_count, args.size, args.work, args.procs, "val")
    calib = generate(args.tandem, args.calib_seed, args.calib_count, args.size, args.work, args.procs, "calib")
    gen_s = time.time() - t_start

    images = torch.from_numpy(train[0]).to(device)
    labels = torch.from_numpy(train[1]).to(device)
    depth = torch.from_numpy(train[2].astype(np.int32)).to(device)
    n = images.shape[0]

    model = Multitask().to(device)
    params = sum(p.numel() for p in model.parameters())
    print(f"model: {params} parameters ({params * 4 / 1e6:.2f} MB fp32)", flush=True)
    decay = [p for name, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for name, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    amp = device.type == "cuda"

    step = 0
    seen = 0
    t0 = time.time()
    log_every = 50
    while True:
        elapsed = time.time() - t0
        frac = elapsed / args.budget_s
        if frac >= 1:
            break
        lr = args.lr * (min(1.0, frac / 0.03)) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        idx = torch.randint(0, n, (args.batch,), device=device)
        img, lab, dep = images[idx], labels[idx], depth[idx]
        flip = torch.rand(args.batch, device=device) < 0.5
        img = torch.where(flip[:, None, None, None], img.flip(2), img)
        lab = torch.where(flip[:, None, None], lab.flip(2), lab)
        dep = torch.where(flip[:, None, None], dep.flip(2), dep)
        x = to_input(img, model)
        # photometric jitter: brightness and contrast per frame
        x = x * torch.empty(args.batch, 1, 1, 1, device=device).uniform_(0.8, 1.2) + torch.empty(args.batch, 1, 1, 1, device=device).uniform_(-0.2, 0.2)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
            seg, s = model(x)
        seg = F.interpolate(seg.float(), size=lab.shape[-2:], mode="bilinear", align_corners=False)
        loss_seg = F.cross_entropy(seg, lab.long(), ignore_index=IGNORE)
        target, valid = depth_target(dep)
        loss_depth = ((s.float()[:, 0] - target).abs() * valid).sum() / valid.sum().clamp(min=1)
        loss = loss_seg + 5.0 * loss_depth
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        seen += args.batch
        if step % log_every == 0:
            print(f"step {step} ({elapsed:.0f} s, {seen / max(elapsed, 1e-9):.0f} img/s) lr {lr:.2e} "
                  f"seg {loss_seg.item():.3f} depth {loss_depth.item():.4f}", flush=True)
    train_s = time.time() - t0
    print(f"trained {step} steps, {seen} frames ({seen / n:.1f} epochs) in {train_s:.0f} s", flush=True)

    model = model.float().eval()
    cpu_model = Multitask().eval()
    cpu_model.load_state_dict({k: v.cpu() for k, v in model.state_dict().items()})
    torch.save(cpu_model.state_dict(), os.path.join(args.out, f"{args.name}.pt"))
    np.savez_compressed(os.path.join(args.out, f"{args.name}-weights.npz"), **{k: v.numpy() for k, v in cpu_model.state_dict().items()})

    metrics = evaluate(model, val, device)
    print("held-out (seed %d, %d frames) FP32: mIoU %.2f, pixel acc %.2f, absRel %.4f, delta1 %.4f" %
          (args.val_seed, args.val_count, metrics["mIoU"], metrics["pixelAcc"], metrics["absRel"], metrics["delta1"]), flush=True)
    record = {
        "data": {"generator": "tandem scenes", "size": args.size, "train": {"seed": args.train_seed, "frames": args.train_count},
                 "heldOut": {"seed": args.val_seed, "frames": args.val_count}},
        "steps": step, "batch": args.batch, "epochs": round(seen / n, 2), "trainSeconds": round(train_s),
        "generateSeconds": round(gen_s), "device": torch.cuda.get_device_name(0) if amp else "cpu",
        "torch": torch.__version__, "parameters": params, "heldOutFp32": {k: metrics[k] for k in ("mIoU", "pixelAcc", "absRel", "delta1")},
    }
    onnx_path = os.path.join(args.out, f"{args.name}.onnx")
    dummy = torch.zeros(1, 3, height, width)
    try:
        onnx_export(cpu_model, (dummy,), onnx_path, ["image"], ["segmentation", "depth"])
        add_metadata(onnx_path, height, width, record)
        print(f"exported {onnx_path}: {os.path.getsize(onnx_path) / 1e6:.2f} MB", flush=True)
    except Exception as e:
        print(f"ONNX export failed ({type(e).__name__}: {e}); the weights are in {args.name}.pt / -weights.npz", flush=True)

    report = {"record": record, "heldOut": metrics}
    with open(os.path.join(args.out, "train-report.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(f"total {time.time() - t_start:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
