#!/usr/bin/env python3
"""
Export DINOv2-shaped ONNX models with random (seeded) weights, the Hugging Face signature
(input `pixel_values` float32 [B,3,H,W], output `last_hidden_state` [B, 1+R+(H/14)(W/14), D]):

  tiny (default)  committed test fixtures under test/fixtures/dinov2/ (< 2 MB each) + reference outputs
  --full          a ViT-S/14-shaped model (D=384, 12 layers) for speed benchmarks only; write it to an
                  ignored folder (e.g. /tmp), never commit it. Its features mean nothing (random weights).

Run with Debian's torch:  /usr/bin/python3 scripts/export_tiny_dinov2.py [--full --out /tmp/vits14.onnx]
Why a hand-written ViT instead of transformers' Dinov2Model: no model hub and no `transformers` package are
reachable here; this mirrors its structure (CLS, registers after position embeddings, bicubic-interpolated
position embeddings, pre-norm blocks with layer scale, final layer norm).
"""
import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PATCH = 14


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=4):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ls1 = nn.Parameter(torch.full((dim,), 0.5))
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * mlp_ratio), nn.GELU(), nn.Linear(dim * mlp_ratio, dim))
        self.ls2 = nn.Parameter(torch.full((dim,), 0.5))

    def forward(self, x):
        h = self.norm1(x)
        a, _ = self.attn(h, h, h, need_weights=False)
        x = x + self.ls1 * a
        return x + self.ls2 * self.mlp(self.norm2(x))


class TinyDinov2(nn.Module):
    def __init__(self, dim, depth, heads, registers, base_grid):
        super().__init__()
        self.base_grid = base_grid
        self.patch = nn.Conv2d(3, dim, kernel_size=PATCH, stride=PATCH)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, 1 + base_grid * base_grid, dim) * 0.02)
        self.registers = nn.Parameter(torch.randn(1, registers, dim) * 0.02) if registers > 0 else None
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, pixel_values):
        b = pixel_values.shape[0]
        x = self.patch(pixel_values)  # [B, D, h, w]
        h, w = x.shape[2], x.shape[3]
        x = x.flatten(2).transpose(1, 2)
        g = self.base_grid
        pos_patch = self.pos[:, 1:].reshape(1, g, g, -1).permute(0, 3, 1, 2)
        # In-graph bicubic interpolation of the position embeddings, as DINOv2 does for other input sizes.
        pos_patch = F.interpolate(pos_patch, size=(h, w), mode='bicubic', align_corners=False)
        pos_patch = pos_patch.permute(0, 2, 3, 1).flatten(1, 2)
        x = x + pos_patch
        cls = self.cls.expand(b, -1, -1) + self.pos[:, :1]
        parts = [cls]
        if self.registers is not None:
            parts.append(self.registers.expand(b, -1, -1))
        x = torch.cat(parts + [x], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


class WrongNames(nn.Module):
    """Fits nothing: input `image`, output `features` [B, D, h, w] (a CNN-style feature map)."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, 8, kernel_size=PATCH, stride=PATCH)

    def forward(self, image):
        return self.patch(image)


class OneChannel(nn.Module):
    """Right names, wrong shape: `pixel_values` [B, 1, H, W] (grayscale) → `last_hidden_state` [B, N, 8]."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(1, 8, kernel_size=PATCH, stride=PATCH)

    def forward(self, pixel_values):
        return self.patch(pixel_values).flatten(2).transpose(1, 2)


def fixed_input(b, h, w):
    """Same formula as test/unit/dinov2 tests: computed in float64, cast to float32."""
    c = np.arange(3).reshape(1, 3, 1, 1)
    bb = np.arange(b).reshape(b, 1, 1, 1)
    i = np.arange(h).reshape(1, 1, h, 1)
    j = np.arange(w).reshape(1, 1, 1, w)
    x = np.sin(0.05 * i + 0.11 * j + 0.7 * c + 0.3 * bb) * 1.5
    return x.astype(np.float32)


def export(model, path, input_name, output_name, channels=3):
    model.eval()
    dummy = torch.zeros(1, channels, 28, 42)
    torch.onnx.export(
        model, (dummy,), path, input_names=[input_name], output_names=[output_name], opset_version=17,
        dynamic_axes={input_name: {0: 'batch', 2: 'height', 3: 'width'}, output_name: {0: 'batch', 1: 'tokens'}},
        do_constant_folding=True)


def reference(model, registers, dim):
    cases = []
    for (b, h, w) in [(1, 28, 42), (2, 56, 56)]:
        x = fixed_input(b, h, w)
        with torch.no_grad():
            y = model(torch.from_numpy(x)).numpy()
        patches = (h // PATCH) * (w // PATCH)
        assert y.shape == (b, 1 + registers + patches, dim), y.shape
        cases.append({
            'input': [b, 3, h, w],
            'output': list(y.shape),
            'first': [float(v) for v in y.reshape(-1)[:32]],
            # First values of the first PATCH token of the last batch item (after CLS and registers).
            'firstPatchLastItem': [float(v) for v in y[b - 1, 1 + registers, :8]],
            'sum': float(y.astype(np.float64).sum()),
            'absSum': float(np.abs(y.astype(np.float64)).sum()),
        })
    return cases


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--full', action='store_true', help='ViT-S/14-shaped model for benchmarks (not committed)')
    p.add_argument('--registers', type=int, default=0)
    p.add_argument('--out', default=None)
    args = p.parse_args()
    torch.manual_seed(0)
    if args.full:
        out = args.out or '/tmp/medseg-bench/dinov2-vits14-random.onnx'
        os.makedirs(os.path.dirname(out), exist_ok=True)
        model = TinyDinov2(dim=384, depth=12, heads=6, registers=args.registers, base_grid=37)
        export(model, out, 'pixel_values', 'last_hidden_state')
        print(out, os.path.getsize(out))
        return

    here = os.path.dirname(os.path.abspath(__file__))
    fixdir = os.path.join(here, '..', 'test', 'fixtures', 'dinov2')
    os.makedirs(fixdir, exist_ok=True)
    refs = {}
    for name, regs in [('tiny-dinov2.onnx', 0), ('tiny-dinov2-reg4.onnx', 4)]:
        torch.manual_seed(1 + regs)
        model = TinyDinov2(dim=32, depth=2, heads=2, registers=regs, base_grid=16).eval()
        path = os.path.join(fixdir, name)
        export(model, path, 'pixel_values', 'last_hidden_state')
        refs[name] = {'registers': regs, 'dim': 32, 'cases': reference(model, regs, 32)}
        print(name, os.path.getsize(path))
    torch.manual_seed(7)
    export(WrongNames(), os.path.join(fixdir, 'wrong-names.onnx'), 'image', 'features')
    export(OneChannel(), os.path.join(fixdir, 'one-channel.onnx'), 'pixel_values', 'last_hidden_state', channels=1)
    with open(os.path.join(fixdir, 'reference.json'), 'w') as f:
        json.dump({'inputFormula': 'x[b,c,i,j] = 1.5*sin(0.05*i + 0.11*j + 0.7*c + 0.3*b), float32', 'models': refs},
                  f, indent=1)


if __name__ == '__main__':
    main()
