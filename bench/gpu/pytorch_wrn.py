"""PyTorch reference for `npm run bench`: WRN-d-k training steps on the same GPU or CPU cores, as images/s.

The net is the paper's (Zagoruyko & Komodakis 2016; the same as src/core/model.ts): pre-activation B(3,3) blocks,
1x1 projection shortcuts from the pre-activated input, BN momentum 0.1 / eps 1e-5, no conv bias; the step is the
app's recipe (cross-entropy, SGD with Nesterov momentum 0.9, weight decay 5e-4) on one batch already on the GPU,
the loss read back every `--read-every` steps. Modes: fp32 (TF32 off: what WebGPU's fp32 shaders compute), tf32
(PyTorch's default for convolutions on Ampere and later) and bf16 (autocast + channels_last: PyTorch at its best).
On the CPU (`--device cpu`, what `npm run bench` runs next to WASM) only fp32 applies, in PyTorch's default NCHW
layout (fp32) and channels_last (fp32-cl, NHWC as tfjs; oneDNN is often faster so), on `--threads` threads
(torch.set_num_threads; default: PyTorch's own choice). Works with PyTorch 1.13 (Debian bookworm) and 2.x.

    python3 bench/gpu/pytorch_wrn.py --nets 16-4,28-10 --batch 128 --steps 30 --out results-pytorch.json
    python3 bench/gpu/pytorch_wrn.py --device cpu --threads 1 --nets 10-1,16-1 --batch 32 --out pytorch-cpu.json
"""
import argparse
import json
import platform
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


def measure(depth, width, batch, steps, read_every, mode, device="cuda"):
    cuda = device == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = not mode.startswith("fp32")
        torch.backends.cuda.matmul.allow_tf32 = not mode.startswith("fp32")
    torch.manual_seed(0)
    dev = torch.device(device)
    model = WRN(depth, width).to(dev)
    params = sum(p.numel() for p in model.parameters())
    fmt = torch.channels_last if mode in ("bf16", "fp32-cl") else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x = torch.randn(batch, 3, 32, 32, device=dev).to(memory_format=fmt)
    y = torch.randint(0, 10, (batch,), device=dev)

    def step():
        with torch.autocast(device, dtype=torch.bfloat16, enabled=mode == "bf16"):
            loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    if cuda:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    step().item()
    first_ms = (time.perf_counter() - t0) * 1000
    for _ in range(3):  # cudnn.benchmark tries algorithms on the first calls (on the CPU: oneDNN primitives)
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
        "device": device, "threads": torch.get_num_threads() if not cuda else None,
        "params": params, "firstStepMs": first_ms, "stepMs": ms, "imagesPerSec": batch * 1000 / ms,
        "windows": len(windows),
    }


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", default="16-4,28-10")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--read-every", type=int, default=5)
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (torch.set_num_threads); 0: PyTorch's default")
    ap.add_argument("--modes", default=None, help="CUDA: fp32,tf32,bf16 (default), fp32-cl; CPU: fp32,fp32-cl (default)")
    ap.add_argument("--out", default="results-pytorch.json")
    a = ap.parse_args()
    cuda = a.device == "cuda"
    modes = (a.modes or ("fp32,tf32,bf16" if cuda else "fp32,fp32-cl")).split(",")
    known = ("fp32", "fp32-cl", "tf32", "bf16") if cuda else ("fp32", "fp32-cl")
    if any(m not in known for m in modes):
        ap.error(f"--modes takes {','.join(known)} on {a.device} (tf32 is a GPU format; CPU bf16 is not what WASM computes)")
    if a.threads < 0 or (cuda and a.threads):
        ap.error("--threads takes a count >= 1, for --device cpu only")
    if a.threads:
        torch.set_num_threads(a.threads)
    out = {"torch": torch.__version__, "device": a.device, "results": []}
    if cuda:
        out.update({"cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(), "gpu": torch.cuda.get_device_name(0)})
    else:
        out.update({"cpu": cpu_name(), "threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available()})
    for net in a.nets.split(","):
        d, k = (int(v) for v in net.split("-"))
        for mode in modes:
            r = measure(d, k, a.batch, a.steps, a.read_every, mode, a.device)
            print(json.dumps(r), flush=True)
            out["results"].append(r)
            if cuda:
                torch.cuda.empty_cache()
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
