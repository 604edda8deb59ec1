#!/usr/bin/env python3
"""The peer of tandem's multi-task pipeline benchmark in PyTorch (bench:pipeline's comparison).

The same network as tandem's builder (src/models/multitask.ts, mit-encoder.ts, segformer-head.ts,
depth-decoder.ts), layer for layer: a MiT-B0 encoder (overlapping patch embeddings, efficient
self-attention with sequence reduction, Mix-FFN with a 3x3 depthwise conv and erf GELU, LayerNorm eps
1e-6 in blocks and stage norms, 1e-5 in patch-embedding and reduction norms), SegFormer's all-MLP head
with the four projected features summed (c4 + c3 + c2 + c1, bilinear half-pixel resize to 1/4), linear_fuse
(1x1 conv without bias, BatchNorm, ReLU) and linear_pred, and the progressive depth decoder (nearest x2,
3x3 conv + ReLU, encoder skips added at 1/16, 1/8, 1/4; a 3x3 conv to one channel; Sigmoid). Random
weights (torch's default init), eval mode, batch 1.

Modes: eager FP32, eager FP16, torch.compile (default) FP16, torch.compile (max-autotune) FP16. Each
frame is one forward pass followed by torch.cuda.synchronize(); throughput = frames / wall time of the
timed loop; cudnn.benchmark on. Prints one JSON document (measured on this machine's GPU).

usage: python3 bench/pipeline_peer.py [--size 512x1024] [--modes eager-fp32,eager-fp16,compile-default,compile-max-autotune]
                                      [--duration 10] [--warmup 20] [--check]
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MIT_B0 = [  # channels, heads, sr ratio, depth, patch kernel, patch stride, mlp ratio
    (32, 1, 8, 2, 7, 4, 4),
    (64, 2, 4, 2, 3, 2, 4),
    (160, 5, 2, 2, 3, 2, 4),
    (256, 8, 1, 2, 3, 2, 4),
]
DEPTH_CHANNELS = [160, 64, 32, 16, 16]


class OverlapPatchEmbed(nn.Module):
    def __init__(self, cin, c, k, s):
        super().__init__()
        self.proj = nn.Conv2d(cin, c, k, s, k // 2)
        self.norm = nn.LayerNorm(c, eps=1e-5)

    def forward(self, x):
        x = self.proj(x)
        _, _, h, w = x.shape
        return self.norm(x.flatten(2).transpose(1, 2)), h, w


class Attention(nn.Module):
    def __init__(self, c, heads, sr):
        super().__init__()
        self.heads, self.d, self.sr_ratio = heads, c // heads, sr
        self.scale = 1.0 / math.sqrt(self.d)
        self.q = nn.Linear(c, c)
        self.kv = nn.Linear(c, 2 * c)
        self.proj = nn.Linear(c, c)
        if sr > 1:
            self.sr = nn.Conv2d(c, c, sr, sr)
            self.norm = nn.LayerNorm(c, eps=1e-5)

    def forward(self, x, h, w):
        b, n, c = x.shape
        q = self.q(x).reshape(b, n, self.heads, self.d).permute(0, 2, 1, 3)
        src = x
        if self.sr_ratio > 1:
            img = x.transpose(1, 2).reshape(b, c, h, w)
            src = self.norm(self.sr(img).reshape(b, c, -1).transpose(1, 2))
        kv = self.kv(src).reshape(b, -1, 2, self.heads, self.d).permute(2, 0, 3, 1, 4)
        k, v = kv[0], kv[1]
        attn = torch.softmax((q @ k.transpose(-2, -1)) * self.scale, dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class MixFFN(nn.Module):
    def __init__(self, c, ratio):
        super().__init__()
        hidden = c * ratio
        self.fc1 = nn.Linear(c, hidden)
        self.dwconv = nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden)
        self.fc2 = nn.Linear(hidden, c)

    def forward(self, x, h, w):
        x = self.fc1(x)
        b, n, ch = x.shape
        x = self.dwconv(x.transpose(1, 2).reshape(b, ch, h, w)).reshape(b, ch, n).transpose(1, 2)
        return self.fc2(F.gelu(x))  # erf GELU, as tandem writes it (Div, Erf, Add, Mul, Mul)


class Block(nn.Module):
    def __init__(self, c, heads, sr, ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(c, eps=1e-6)
        self.attn = Attention(c, heads, sr)
        self.norm2 = nn.LayerNorm(c, eps=1e-6)
        self.mlp = MixFFN(c, ratio)

    def forward(self, x, h, w):
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.mlp(self.norm2(x), h, w)


class MiTB0(nn.Module):
    def __init__(self):
        super().__init__()
        cin = 3
        self.embeds, self.blocks, self.norms = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        for c, heads, sr, depth, k, s, ratio in MIT_B0:
            self.embeds.append(OverlapPatchEmbed(cin, c, k, s))
            self.blocks.append(nn.ModuleList([Block(c, heads, sr, ratio) for _ in range(depth)]))
            self.norms.append(nn.LayerNorm(c, eps=1e-6))
            cin = c

    def forward(self, x):
        feats = []
        for embed, blocks, norm in zip(self.embeds, self.blocks, self.norms):
            t, h, w = embed(x)
            for blk in blocks:
                t = blk(t, h, w)
            t = norm(t)
            x = t.reshape(t.shape[0], h, w, -1).permute(0, 3, 1, 2)
            feats.append(x)
        return feats


class SegFormerHead(nn.Module):
    def __init__(self, embed=256, classes=19):
        super().__init__()
        self.linears = nn.ModuleList([nn.Linear(c, embed) for c, *_ in MIT_B0])
        self.fuse = nn.Conv2d(embed, embed, 1, bias=False)
        self.bn = nn.BatchNorm2d(embed)
        self.pred = nn.Conv2d(embed, classes, 1)

    def forward(self, feats):
        c1 = feats[0]
        fused = None
        for i in range(len(feats) - 1, -1, -1):  # deepest first, as SegFormer (and tandem) do
            f = feats[i]
            b, c, h, w = f.shape
            y = self.linears[i](f.flatten(2).transpose(1, 2)).transpose(1, 2).reshape(b, -1, h, w)
            if i > 0:
                y = F.interpolate(y, size=c1.shape[2:], mode='bilinear', align_corners=False)
            fused = y if fused is None else fused + y
        return self.pred(F.relu(self.bn(self.fuse(fused))))


class DepthDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        chans = [MIT_B0[-1][0]] + DEPTH_CHANNELS
        self.convs = nn.ModuleList([nn.Conv2d(chans[i], chans[i + 1], 3, 1, 1) for i in range(len(DEPTH_CHANNELS))])
        self.head = nn.Conv2d(chans[-1], 1, 3, 1, 1)

    def forward(self, feats):
        by_size = {(f.shape[1], f.shape[2], f.shape[3]): f for f in feats}
        x = feats[-1]
        for conv in self.convs:
            x = F.relu(conv(F.interpolate(x, scale_factor=2.0, mode='nearest')))
            skip = by_size.get((x.shape[1], x.shape[2], x.shape[3]))
            if skip is not None:
                x = x + skip
        return torch.sigmoid(self.head(x))


class Multitask(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = MiTB0()
        self.seg_head = SegFormerHead()
        self.depth_head = DepthDecoder()

    def forward(self, image):
        feats = self.backbone(image)
        return self.seg_head(feats), self.depth_head(feats)


def measure(model, x, duration, warmup):
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        torch.cuda.synchronize()
        times = []
        start = time.perf_counter()
        while time.perf_counter() - start < duration:
            t0 = time.perf_counter()
            model(x)
            torch.cuda.synchronize()
            times.append((time.perf_counter() - t0) * 1000)
        wall = time.perf_counter() - start
    times.sort()
    pick = lambda p: times[max(0, math.ceil(p / 100 * len(times)) - 1)]  # nearest rank, as tandem's stats
    return {
        'frames': len(times),
        'throughputFps': len(times) / wall,
        'latencyMs': {'min': times[0], 'mean': statistics.fmean(times), 'median': statistics.median(times), 'p90': pick(90), 'p95': pick(95), 'p99': pick(99), 'max': times[-1]},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--size', default='512x1024')
    ap.add_argument('--modes', default='eager-fp32,eager-fp16,compile-default,compile-max-autotune')
    ap.add_argument('--duration', type=float, default=10.0)
    ap.add_argument('--warmup', type=int, default=20)
    ap.add_argument('--check', action='store_true', help='print output shapes and parameter counts, then exit')
    a = ap.parse_args()
    h, w = (int(v) for v in a.size.split('x'))
    torch.manual_seed(0)
    # fixed shapes: let cuDNN pick its fastest kernels (the strongest eager baseline)
    torch.backends.cudnn.benchmark = True
    dev = torch.device('cuda')
    base = Multitask().eval().to(dev)
    n_params = sum(p.numel() for p in base.parameters())
    n_state = sum(t.numel() for t in base.state_dict().values() if t.dtype.is_floating_point)
    x32 = torch.randn(1, 3, h, w, device=dev)
    info = {
        'what': 'measured on this machine: PyTorch on CUDA, batch 1, torch.cuda.synchronize() after every frame',
        'gpu': torch.cuda.get_device_name(0), 'torch': torch.__version__, 'cuda': torch.version.cuda,
        'size': a.size, 'parameters': n_params, 'floatStateEntries': n_state,
    }
    with torch.inference_mode():
        seg, depth = base(x32)
    info['outputs'] = {'segmentation': list(seg.shape), 'depth': list(depth.shape)}
    if a.check:
        print(json.dumps(info, indent=2))
        return
    results = {}
    for mode in a.modes.split(','):
        t0 = time.perf_counter()
        try:
            if mode == 'eager-fp32':
                m, x = base, x32
            else:
                m, x = Multitask().eval().to(dev).half(), x32.half()
                m.load_state_dict({k: v.half() if v.dtype.is_floating_point else v for k, v in base.state_dict().items()})
                if mode == 'compile-default':
                    m = torch.compile(m)
                elif mode == 'compile-max-autotune':
                    m = torch.compile(m, mode='max-autotune')
                elif mode != 'eager-fp16':
                    raise ValueError(f'unknown mode {mode}')
            r = measure(m, x, a.duration, a.warmup)
            r['setupS'] = time.perf_counter() - t0 - a.duration
            results[mode] = r
        except Exception as e:  # report and go on with the other modes
            results[mode] = {'error': f'{type(e).__name__}: {e}'[:400]}
        print(f'{mode}: {json.dumps(results[mode])}', file=sys.stderr, flush=True)
    info['modes'] = results
    print(json.dumps(info, indent=2))


if __name__ == '__main__':
    main()
