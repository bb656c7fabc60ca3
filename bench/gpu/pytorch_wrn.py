"""PyTorch reference for `npm run bench` on a GPU machine: WRN-d-k training steps on the same GPU, as images/s.

The net is the paper's (Zagoruyko & Komodakis 2016; the same as src/core/model.ts): pre-activation B(3,3) blocks,
1x1 projection shortcuts from the pre-activated input, BN momentum 0.1 / eps 1e-5, no conv bias; the step is the
app's recipe (cross-entropy, SGD with Nesterov momentum 0.9, weight decay 5e-4) on one batch already on the GPU,
the loss read back every `--read-every` steps. Modes: fp32 (TF32 off: what WebGPU's fp32 shaders compute), tf32
(PyTorch's default for convolutions on Ampere and later) and bf16 (autocast + channels_last: PyTorch at its best).

    python3 bench/gpu/pytorch_wrn.py --nets 16-4,28-10 --batch 128 --steps 30 --out results-pytorch.json
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride, dropout):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, momentum=0.1, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.dropout = dropout
        self.shortcut = None if cin == cout and stride == 1 else nn.Conv2d(cin, cout, 1, stride, 0, bias=False)

    def forward(self, x):
        pre = F.relu(self.bn1(x))
        y = F.relu(self.bn2(self.conv1(pre)))
        if self.dropout > 0:
            y = F.dropout(y, self.dropout, self.training)
        y = self.conv2(y)
        return y + (x if self.shortcut is None else self.shortcut(pre))


class WRN(nn.Module):
    def __init__(self, depth, width, dropout=0.0, classes=10):
        super().__init__()
        assert (depth - 4) % 6 == 0, "depth must be 6N + 4"
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        blocks, cin = [], 16
        for g, cout in enumerate([16 * width, 32 * width, 64 * width]):
            for b in range(n):
                blocks.append(Block(cin, cout, 2 if g > 0 and b == 0 else 1, dropout))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(cin, momentum=0.1, eps=1e-5)
        self.fc = nn.Linear(cin, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")

    def forward(self, x):
        x = F.relu(self.bn(self.blocks(self.conv1(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def measure(depth, width, batch, steps, read_every, mode):
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = mode != "fp32"
    torch.backends.cuda.matmul.allow_tf32 = mode != "fp32"
    torch.manual_seed(0)
    dev = torch.device("cuda")
    model = WRN(depth, width).to(dev)
    params = sum(p.numel() for p in model.parameters())
    fmt = torch.channels_last if mode == "bf16" else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x = torch.randn(batch, 3, 32, 32, device=dev).to(memory_format=fmt)
    y = torch.randint(0, 10, (batch,), device=dev)

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=mode == "bf16"):
            loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    torch.cuda.synchronize()
    t0 = time.perf_counter()
    step().item()
    first_ms = (time.perf_counter() - t0) * 1000
    for _ in range(3):  # cudnn.benchmark tries algorithms on the first calls
        step()
    step().item()
    windows = []
    for _ in range(max(1, steps // read_every)):
        t0 = time.perf_counter()
        for _ in range(read_every):
            loss = step()
        loss.item()  # the read-back ends the window, as the tfjs trainer's metrics read does
        windows.append((time.perf_counter() - t0) * 1000 / read_every)
    ms = statistics.median(windows)
    return {
        "net": f"WRN-{depth}-{width}", "depth": depth, "width": width, "batch": batch, "mode": mode,
        "params": params, "firstStepMs": first_ms, "stepMs": ms, "imagesPerSec": batch * 1000 / ms,
        "windows": len(windows),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", default="16-4,28-10")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--read-every", type=int, default=5)
    ap.add_argument("--modes", default="fp32,tf32,bf16")
    ap.add_argument("--out", default="results-pytorch.json")
    a = ap.parse_args()
    out = {
        "torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
        "gpu": torch.cuda.get_device_name(0), "results": [],
    }
    for net in a.nets.split(","):
        d, k = (int(v) for v in net.split("-"))
        for mode in a.modes.split(","):
            r = measure(d, k, a.batch, a.steps, a.read_every, mode)
            print(json.dumps(r), flush=True)
            out["results"].append(r)
            torch.cuda.empty_cache()
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
