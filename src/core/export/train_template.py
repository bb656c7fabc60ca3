"""Train a Wide Residual Network on CIFAR-10 with PyTorch: one GPU, many (torchrun + DDP), or the CPU.

Exported from the Wide ResNet playground (`wrn export`, or "Export as PyTorch" on the page). It trains exactly
what the page trains (Zagoruyko & Komodakis, "Wide Residual Networks", 2016):
  - the net: WRN-d-k, pre-activation B(3,3) blocks, 1x1 projection shortcuts of the pre-activated input, no conv
    bias, He-normal convs, Glorot-uniform dense, BN momentum 0.1 / eps 1e-5, dropout between the two convolutions;
  - the recipe: cross-entropy, SGD with (Nesterov) momentum, weight decay added to the gradient (the paper's
    convention), step (x0.2 at 30/60/80%), cosine or constant schedule with linear warm-up;
  - the data: 4-px reflect-padded random crop + horizontal flip, per-channel normalisation, the `first` or
    `balanced` subset of the official CIFAR-10 binary files.
Only PyTorch, NumPy and the standard library are needed. Usage:

    python train.py --info                                   # params and MACs (equal to `wrn info`)
    python train.py --data cifar10 --out run                  # train; downloads CIFAR-10 into ./cifar10 if absent
    torchrun --nproc_per_node=8 train.py --out run --bf16     # DDP on 8 GPUs, bf16 autocast + channels_last
(PyTorch 1.13 on Python 3.11, e.g. Debian bookworm, misreads torchrun's defaults: add `--redirects 1 --tee 1`.)
    python train.py --init-from run/model --eval-only         # test accuracy of saved weights (--blocks: and inside)

stdout carries JSON Lines in `wrn train`'s schema (after each evaluation a `blocks` line: each residual block's
||F(x)|| / ||shortcut(x)|| on the first `probe` test images, each convolution's weight and gradient norm); `--out`
writes config.json, metrics.jsonl (the page's "Import metrics" reads it) and the weights as tfjs model.json +
weights.bin (the page's "Open weights" reads them).
"""
import argparse
import hashlib
import json
import math
import os
import re
import shutil
import sys
import tarfile
import time
import urllib.request

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------------------------
# The config (the same object as config.json: the page's link and its fields). The exporter writes it between the
# two marker lines; the template in the repository holds the page's defaults.
# ---------------------------------------------------------------------------------------------------------------
CONFIG = json.loads(r"""
{
  "url": "v=2&depth=16&width=4&dropout=0&batch=128&epochs=5&lr=0.1&schedule=step&warmup=0&momentum=0.9&nesterov=1&wd=0.0005&train=2000&test=1000&subset=first&augment=1&seed=0&backend=auto&eval=0&seeds=1&order=sequential&budget=epochs",
  "config": {
    "depth": 16,
    "width": 4,
    "dropout": 0,
    "batch": 128,
    "epochs": 5,
    "lr": 0.1,
    "schedule": "step",
    "warmup": 0,
    "momentum": 0.9,
    "nesterov": true,
    "wd": 0.0005,
    "train": 2000,
    "test": 1000,
    "subset": "first",
    "augment": true,
    "seed": 0,
    "backend": "auto",
    "kernels": "ours",
    "engine": "compiled",
    "evalEvery": 0,
    "probe": 256,
    "source": "auto",
    "data": "",
    "compare": [],
    "seeds": 1,
    "order": "sequential",
    "budget": {
      "kind": "epochs"
    }
  }
}
""")  # end of config

CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
CIFAR_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
CIFAR_MEAN = (125.3, 123.0, 113.9)  # per channel, 0-255 scale (reference code)
CIFAR_STD = (63.0, 62.1, 66.7)
CROP_PADDING = 4
STEP_BOUNDARIES, STEP_FACTOR = (0.3, 0.6, 0.8), 0.2
BN_MOMENTUM, BN_EPS = 0.1, 1e-5  # PyTorch's convention; the page's tfjs layers use momentum 0.9 = 1 - 0.1
NUM_CLASSES, RECORD = 10, 3073  # a record: 1 label byte, then 32x32 R, G and B planes

# The page's limits (src/core/config.ts LIMITS; a test holds this block to them): a config outside them is refused.
LIMITS = json.loads(r"""
{"depth":{"min":10,"max":100},"width":{"min":1,"max":16},"dropout":{"min":0,"max":0.9},"batch":{"min":1,"max":512},"epochs":{"min":1,"max":300},"lr":{"min":0.000001,"max":10},"warmup":{"min":0,"max":50},"momentum":{"min":0,"max":0.999},"wd":{"min":0,"max":0.1},"train":{"min":1,"max":50000},"test":{"min":1,"max":10000},"seed":{"min":0,"max":2147483647},"evalEvery":{"min":0,"max":1000000},"probe":{"min":0,"max":10000},"compare":{"max":6},"seeds":{"min":1,"max":5},"budgetSeconds":{"min":1,"max":86400},"budgetFlops":{"min":1000000000,"max":1e+21}}
""")  # end of limits
DEPTH_RULE = "depth must be 6N+4 (10, 16, 22, 28, 34, 40, ...)"
ECHO_LIMIT = 64  # how much of a given value a message repeats


class BadInput(Exception):
    """Input this script refuses (a config, weights, a folder): one line on stderr, exit 2."""


def echo(value):
    """A given value for a message: its start (then the length), control characters escaped."""
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else repr(value)
    cut = len(text) > ECHO_LIMIT
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:ECHO_LIMIT])
    shown = f'"{shown}"' if isinstance(value, str) else shown
    return f"{shown}... ({len(text):,} characters)" if cut else shown


# ---------------------------------------------------------------------------------------------------------------
# The config, checked as the page checks a link (src/core/url.ts): the same limits, in the same words
# ---------------------------------------------------------------------------------------------------------------
CONFIG_NUMBERS = {  # key: whole number?
    "depth": True, "width": True, "dropout": False, "batch": True, "epochs": True, "lr": False, "warmup": False,
    "momentum": False, "wd": False, "train": True, "test": True, "seed": True, "evalEvery": True,
}
CONFIG_CHOICES = {"schedule": ("step", "cosine", "constant"), "subset": ("first", "balanced")}
CONFIG_FLAGS = ("nesterov", "augment")


def number_problem(key, v, whole, bounds):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return f"{key} is {echo(v)}, not a number"
    if whole and v != int(v):
        return f"{key} is {echo(v)}: must be a whole number"
    if not bounds["min"] <= v <= bounds["max"]:
        return f"{key} is {echo(v)}: outside {bounds['min']:g}..{bounds['max']:g}"
    return None


def net_problem(m, where):
    for key in ("depth", "width", "dropout"):
        if key not in m:
            return f"{where}{key} is missing"
        problem = number_problem(key, m[key], CONFIG_NUMBERS[key], LIMITS[key])
        if problem:
            return where + problem
    if (m["depth"] - 4) % 6:
        return f"{where}depth is {m['depth']}: {DEPTH_RULE}"
    return None


def config_problem(doc):
    """Why a config.json document cannot be trained, in one line; None when it can."""
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        return 'the config has no "config" object (a config.json of `wrn export` or `wrn train --out`)'
    cfg = doc["config"]
    problem = net_problem(cfg, "")
    if problem:
        return problem
    for key, whole in CONFIG_NUMBERS.items():
        if key not in cfg:
            return f"{key} is missing"
        problem = number_problem(key, cfg[key], whole, LIMITS[key])
        if problem:
            return problem
    for key, choices in CONFIG_CHOICES.items():
        if cfg.get(key) not in choices:
            return f"{key} is {echo(cfg.get(key))}: expected one of {', '.join(choices)}"
    for key in CONFIG_FLAGS:
        if not isinstance(cfg.get(key), bool):
            return f"{key} is {echo(cfg.get(key))}: expected true or false"
    if "probe" in cfg:  # optional: configs written before it had no probe
        problem = number_problem("probe", cfg["probe"], True, LIMITS["probe"])
        if problem:
            return problem
    compare = cfg.get("compare", [])
    if not isinstance(compare, list) or len(compare) > LIMITS["compare"]["max"]:
        return f"compare is {echo(compare)}: at most {LIMITS['compare']['max']} nets, each {{depth, width, dropout}}"
    for i, m in enumerate(compare):
        problem = net_problem(m, f"compare[{i}]: ") if isinstance(m, dict) else f"compare[{i}] is {echo(m)}, not a net"
        if problem:
            return problem
    return None


def training_bytes(m, batch):
    """Memory a training step needs, roughly, as the page estimates it (src/core/cost.ts estimateTrainingBytes):
    weights, gradients and momentum, plus a batch of conv and BN outputs kept for backprop and as much again."""
    n, params, acts = (m["depth"] - 4) // 6, 3 * 3 * 3 * 16, 32 * 32 * 16
    cin, size = 16, 32
    for g, cout in enumerate((16 * m["width"], 32 * m["width"], 64 * m["width"])):
        for b in range(n):
            stride = 2 if g > 0 and b == 0 else 1
            out = size // stride
            params += 2 * cin + 9 * cin * cout + 2 * cout + 9 * cout * cout
            acts += 2 * size * size * cin + out * out * cout + 2 * out * out * cout + out * out * cout
            if cin != cout or stride != 1:
                params += cin * cout
                acts += out * out * cout
            cin, size = cout, out
    params += 2 * cin + cin * NUM_CLASSES + NUM_CLASSES
    acts += 2 * size * size * cin
    return 4 * (3 * params + 2 * batch * acts)


def device_memory(device):
    """Bytes the device can hold: a GPU's memory, or the machine's for the CPU; None when not known."""
    try:
        if device.type == "cuda":
            return torch.cuda.get_device_properties(device).total_memory
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError, RuntimeError):
        return None


def memory_problem(models, batch, device, world):
    """Why a net cannot train on this device (the estimate, the room, a batch that fits); None when it can."""
    room = device_memory(device)
    if room is None:
        return None
    local = max(1, batch // world)
    for m in models:
        need = training_bytes(m, local)
        if need <= room:
            continue
        fixed, per_image = training_bytes(m, 0), training_bytes(m, 1) - training_bytes(m, 0)
        fits = max(0, (room - fixed) // per_image) * world
        where = "this GPU's" if device.type == "cuda" else "this machine's"
        head = (f"{model_name(m)} at batch {batch} needs about {need / 2 ** 30:.1f} GiB to train (a rough estimate), "
                f"more than {where} {room / 2 ** 30:.1f} GiB")
        return head + (f"; try a batch of {fits} or less" if fits > 0 else "; even a batch of 1 does not fit: choose a smaller net")
    return None


# ---------------------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------------------
class BatchNorm(nn.BatchNorm2d):
    """BN as the page computes it: PyTorch's, except that the running variance averages the *biased* batch
    variance (tfjs's rule; PyTorch's own layer uses the unbiased one)."""

    def __init__(self, channels):
        super().__init__(channels, momentum=BN_MOMENTUM, eps=BN_EPS)

    def forward(self, x):
        if not self.training:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        with torch.no_grad():
            var, mean = torch.var_mean(x.float(), dim=(0, 2, 3), unbiased=False)
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(var, self.momentum)
        return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)


class Conv(nn.Conv2d):
    """A bias-free convolution with TensorFlow's 'same' padding, as the page's tfjs layers: a 3x3 stride-2 conv of an
    even-sized input pads 0 before and 1 after (PyTorch's padding=1 pads 1 on both sides: another sampling grid)."""

    def __init__(self, cin, cout, k, stride):
        super().__init__(cin, cout, k, stride, padding=k // 2 if stride == 1 else 0, bias=False)

    def forward(self, x):
        if self.stride[0] == 1:
            return super().forward(x)
        k, s, pads = self.kernel_size[0], self.stride[0], []
        for size in (x.shape[3], x.shape[2]):  # F.pad takes the last dimension first
            total = max((-(-size // s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


class Block(nn.Module):
    """Pre-activation B(3,3): BN-ReLU-conv3x3(stride)-BN-ReLU-[dropout]-conv3x3, plus the shortcut."""

    def __init__(self, cin, cout, stride, dropout):
        super().__init__()
        self.bn1, self.conv1 = BatchNorm(cin), Conv(cin, cout, 3, stride)
        self.bn2, self.conv2 = BatchNorm(cout), Conv(cout, cout, 3, 1)
        self.dropout = dropout
        projection = cin != cout or stride != 1
        self.shortcut = Conv(cin, cout, 1, stride) if projection else None

    def forward(self, x):
        pre = F.relu(self.bn1(x))  # shared by the branch and the projection shortcut
        y = F.relu(self.bn2(self.conv1(pre)))
        if self.dropout > 0:
            y = F.dropout(y, self.dropout, self.training)
        y = self.conv2(y)
        return y + (x if self.shortcut is None else self.shortcut(pre))


class WRN(nn.Module):
    def __init__(self, depth, width, dropout=0.0):
        super().__init__()
        if depth < 10 or (depth - 4) % 6:
            raise ValueError(f"WRN depth must be 6N + 4 >= 10; got {depth}")
        n = (depth - 4) // 6
        self.depth, self.width, self.dropout = depth, width, dropout
        self.conv1 = Conv(3, 16, 3, 1)
        blocks, self.block_ids, cin = [], [], 16
        for g, cout in enumerate((16 * width, 32 * width, 64 * width)):
            for b in range(n):
                blocks.append(Block(cin, cout, 2 if g > 0 and b == 0 else 1, dropout))
                self.block_ids.append(f"g{g + 1}b{b + 1}")  # the page's layer names
                cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.final_bn = BatchNorm(cin)
        self.logits = nn.Linear(cin, NUM_CLASSES)
        for mod in self.modules():
            if isinstance(mod, nn.Conv2d):  # He et al.: N(0, 2 / fan_in)
                nn.init.kaiming_normal_(mod.weight, mode="fan_in", nonlinearity="relu")
        nn.init.xavier_uniform_(self.logits.weight)  # tfjs Dense's default, as the page
        nn.init.zeros_(self.logits.bias)

    def forward(self, x):
        x = self.conv1(x)
        for block in self.blocks:
            x = block(x)
        x = F.relu(self.final_bn(x))
        return self.logits(x.mean((2, 3)))


def model_name(m):
    return f"WRN-{m['depth']}-{m['width']}" + (f" (dropout {m['dropout']})" if m["dropout"] > 0 else "")


def count_cost(model):
    """Trainable parameters and forward multiply-accumulates per 32x32 image (convolutions and the dense layer)."""
    macs = []

    def conv_hook(mod, inp, out):
        macs.append(out[0].numel() * mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1])

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, 32, 32, device=next(model.parameters()).device))
    model.train(was_training)
    for h in hooks:
        h.remove()
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return params, sum(macs) + model.logits.in_features * model.logits.out_features


# ---------------------------------------------------------------------------------------------------------------
# Weights in the tfjs format the page and `wrn train --out` use: model.json (Keras topology + manifest), weights.bin
# ---------------------------------------------------------------------------------------------------------------
def tfjs_tensors(model):
    """(tfjs name, tensor) in the page's manifest order: trainable weights layer by layer, then BN moving stats.
    Convs are HWIO in tfjs and OIHW here; the dense kernel is [in, out] in tfjs and [out, in] here."""
    trainable, moving = [("conv1/kernel", model.conv1.weight)], []
    for bid, b in zip(model.block_ids, model.blocks):
        for bn_name, bn, conv_name, conv in ((f"{bid}_bn1", b.bn1, f"{bid}_conv1", b.conv1), (f"{bid}_bn2", b.bn2, f"{bid}_conv2", b.conv2)):
            trainable += [(f"{bn_name}/gamma", bn.weight), (f"{bn_name}/beta", bn.bias), (f"{conv_name}/kernel", conv.weight)]
            moving += [(f"{bn_name}/moving_mean", bn.running_mean), (f"{bn_name}/moving_variance", bn.running_var)]
        if b.shortcut is not None:
            trainable.append((f"{bid}_shortcut/kernel", b.shortcut.weight))
    trainable += [("final_bn/gamma", model.final_bn.weight), ("final_bn/beta", model.final_bn.bias)]
    trainable += [("logits/kernel", model.logits.weight), ("logits/bias", model.logits.bias)]
    moving += [("final_bn/moving_mean", model.final_bn.running_mean), ("final_bn/moving_variance", model.final_bn.running_var)]
    return trainable + moving


def to_tfjs(name, t):
    t = t.detach().float().cpu()
    if t.dim() == 4:
        return t.permute(2, 3, 1, 0)  # OIHW -> HWIO
    return t.t() if name == "logits/kernel" else t


def from_tfjs(name, a):
    t = torch.from_numpy(a)
    if t.dim() == 4:
        return t.permute(3, 2, 0, 1)  # HWIO -> OIHW
    return t.t() if name == "logits/kernel" else t


def keras_topology(model):
    """The functional-model JSON tfjs's loadLayersModel builds the same net from (as the page saves it)."""
    layers = []

    def layer(cls, name, inputs, **config):
        layers.append({"name": name, "class_name": cls, "config": {**config, "name": name, "trainable": True},
                       "inbound_nodes": [[[i, 0, 0, {}] for i in inputs]] if inputs else []})
        return name

    def conv(name, src, filters, k, stride, cin):
        return layer("Conv2D", name, [src], filters=filters, kernel_size=[k, k], strides=[stride, stride], padding="same",
                     data_format="channels_last", dilation_rate=[1, 1], activation="linear", use_bias=False,
                     kernel_initializer={"class_name": "RandomNormal", "config": {"mean": 0, "stddev": math.sqrt(2 / (k * k * cin)), "seed": None}},
                     bias_initializer={"class_name": "Zeros", "config": {}}, kernel_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, kernel_constraint=None, bias_constraint=None)

    def bn(name, src):
        zeros, ones = {"class_name": "Zeros", "config": {}}, {"class_name": "Ones", "config": {}}
        return layer("BatchNormalization", name, [src], axis=-1, momentum=1 - BN_MOMENTUM, epsilon=BN_EPS, center=True, scale=True,
                     beta_initializer=zeros, gamma_initializer=ones, moving_mean_initializer=zeros, moving_variance_initializer=ones,
                     beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None)

    layers.append({"name": "image", "class_name": "InputLayer", "inbound_nodes": [],
                   "config": {"batch_input_shape": [None, 32, 32, 3], "dtype": "float32", "sparse": False, "name": "image"}})
    x = conv("conv1", "image", 16, 3, 1, 3)
    for bid, b in zip(model.block_ids, model.blocks):
        cin, cout, stride = b.conv1.in_channels, b.conv1.out_channels, b.conv1.stride[0]
        pre = layer("ReLU", f"{bid}_relu1", [bn(f"{bid}_bn1", x)], max_value=None)
        y = conv(f"{bid}_conv1", pre, cout, 3, stride, cin)
        y = layer("ReLU", f"{bid}_relu2", [bn(f"{bid}_bn2", y)], max_value=None)
        if b.dropout > 0:
            y = layer("WrnBlockDropout", f"{bid}_dropout", [y], rate=b.dropout, seed=0)
        y = conv(f"{bid}_conv2", y, cout, 3, 1, cout)
        short = x if b.shortcut is None else conv(f"{bid}_shortcut", pre, cout, 1, stride, cin)
        x = layer("Add", f"{bid}_add", [y, short])
    x = layer("ReLU", "final_relu", [bn("final_bn", x)], max_value=None)
    x = layer("GlobalAveragePooling2D", "pool", [x], data_format="channels_last")
    layer("Dense", "logits", [x], units=NUM_CLASSES, activation="linear", use_bias=True,
          kernel_initializer={"class_name": "VarianceScaling", "config": {"scale": 1, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
          bias_initializer={"class_name": "Zeros", "config": {}}, kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None)
    return {"class_name": "Model", "keras_version": "tfjs-layers 4.22.0", "backend": "tensor_flow.js",
            "config": {"name": f"WRN-{model.depth}-{model.width}", "layers": layers,
                       "input_layers": [["image", 0, 0]], "output_layers": [["logits", 0, 0]]}}


def save_tfjs(model, folder):
    os.makedirs(folder, exist_ok=True)
    specs, chunks = [], []
    for name, t in tfjs_tensors(model):
        a = to_tfjs(name, t).contiguous().numpy().astype("<f4")
        specs.append({"name": name, "shape": list(a.shape), "dtype": "float32"})
        chunks.append(a.tobytes())
    with open(os.path.join(folder, "weights.bin"), "wb") as f:
        f.write(b"".join(chunks))
    doc = {"modelTopology": keras_topology(model), "weightsManifest": [{"paths": ["weights.bin"], "weights": specs}],
           "format": "layers-model", "generatedBy": f"train.py (PyTorch {torch.__version__})", "convertedBy": None}
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(doc, f)


def inside(folder, name):
    """The path of `name` in `folder`, refused (BadInput) when it leads outside it (an absolute path, .., a link)."""
    if not isinstance(name, str) or not name or os.path.isabs(name):
        raise BadInput(f"model.json names the weights file {echo(name)}: a file beside it is expected")
    root = os.path.realpath(folder)
    path = os.path.realpath(os.path.join(folder, name))
    if os.path.commonpath([root, path]) != root:
        raise BadInput(f"model.json names the weights file {echo(name)}, which is outside its folder")
    return path


def load_tfjs(model, folder):
    """Loads model.json + weights.bin (from `wrn train --out`, the page, or this script) into `model`: every weight
    by name, shape and byte count, files only from the model's own folder. BadInput says what does not fit."""
    if not os.path.exists(os.path.join(folder, "model.json")) and os.path.exists(os.path.join(folder, "model", "model.json")):
        folder = os.path.join(folder, "model")  # a run folder: its single model
    try:
        with open(os.path.join(folder, "model.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError) as err:
        raise BadInput(f"{folder}: cannot read model.json ({echo(str(err))})")
    manifest = doc.get("weightsManifest") if isinstance(doc, dict) else None
    if not isinstance(manifest, list) or not all(isinstance(g, dict) for g in manifest):
        raise BadInput(f"{folder}/model.json has no weightsManifest: it is not a tfjs layers model")
    arrays = {}
    for group in manifest:
        paths, specs = group.get("paths"), group.get("weights")
        if not isinstance(paths, list) or not isinstance(specs, list):
            raise BadInput(f"{folder}/model.json: a weightsManifest group has no paths or weights")
        data = b"".join(open(inside(folder, p), "rb").read() for p in paths)
        offset = 0
        for spec in specs:
            name, shape = spec.get("name") if isinstance(spec, dict) else None, spec.get("shape") if isinstance(spec, dict) else None
            if not isinstance(name, str) or not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
                raise BadInput(f"{folder}/model.json: weight {echo(name)} has no name or no shape (a list of sizes)")
            if spec.get("dtype", "float32") != "float32" or "quantization" in spec:
                raise BadInput(f"{echo(name)}: only float32 weights are supported")
            count = int(np.prod(shape)) if shape else 1
            if offset + 4 * count > len(data):
                raise BadInput(f"{folder}: the weights files hold {len(data):,} bytes; model.json's manifest needs more (at {echo(name)})")
            arrays[name] = np.frombuffer(data, "<f4", count, offset).reshape(shape).copy()
            offset += 4 * count
        if offset != len(data):
            raise BadInput(f"{folder}: the weights files hold {len(data):,} bytes; model.json's manifest needs {offset:,}")
    problems, expected = [], set()
    with torch.no_grad():
        for name, t in tfjs_tensors(model):
            expected.add(name)
            if name not in arrays:
                problems.append(f"{name} is missing")
                continue
            value = from_tfjs(name, arrays[name])
            if tuple(value.shape) != tuple(t.shape):
                problems.append(f"{name} has shape {list(arrays[name].shape)}, expected {list(to_tfjs(name, t).shape)}")
            else:
                t.copy_(value)
    extra = [n for n in arrays if n not in expected]
    if extra:
        problems.append(f"{len(extra)} weights this net does not have ({', '.join(echo(n) for n in extra[:3])}{', ...' if len(extra) > 3 else ''})")
    if problems:
        theirs = doc.get("modelTopology", {}).get("config", {}).get("name") if isinstance(doc.get("modelTopology"), dict) else None
        of = f" (model.json says {echo(theirs)})" if isinstance(theirs, str) else ""
        raise BadInput(f"{folder} does not hold this config's {model_name(CONFIG['config'])}{of}: " + "; ".join(problems[:5]))


# ---------------------------------------------------------------------------------------------------------------
# Data: the official CIFAR-10 binary files (a folder of .bin files, or the .tar.gz), subsets as the page draws them
# ---------------------------------------------------------------------------------------------------------------
def natural_key(s):
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", s)]


def cifar_streams(path):
    """(name, bytes) of every .bin in `path`; a folder's .bin files in natural order, else its archive."""
    if os.path.isdir(path):
        names = sorted(os.listdir(path), key=natural_key)
        bins = [n for n in names if n.lower().endswith(".bin")]
        if bins:
            return [(n, open(os.path.join(path, n), "rb").read()) for n in bins]
        archives = [n for n in names if re.search(r"\.(tar\.gz|tgz|tar)$", n, re.I)]
        if archives:
            return cifar_streams(os.path.join(path, archives[0]))
        if os.path.isdir(os.path.join(path, "cifar-10-batches-bin")):
            return cifar_streams(os.path.join(path, "cifar-10-batches-bin"))
        raise FileNotFoundError(f"{path}: no CIFAR-10 files (.bin files or cifar-10-binary.tar.gz)")
    if path.lower().endswith(".bin"):
        return [(os.path.basename(path), open(path, "rb").read())]
    with tarfile.open(path) as tar:  # archive order: data_batch_1..5, then test_batch
        return [(m.name, tar.extractfile(m).read()) for m in tar if m.isfile() and m.name.lower().endswith(".bin")]


def download_cifar(folder, log):
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, "cifar-10-binary.tar.gz")
    log(f"downloading {CIFAR_URL} into {folder}")
    tmp = target + ".part"
    urllib.request.urlretrieve(CIFAR_URL, tmp)
    digest = hashlib.md5(open(tmp, "rb").read()).hexdigest()
    if digest != CIFAR_MD5:
        os.remove(tmp)
        raise IOError(f"the download's MD5 is {digest}, expected {CIFAR_MD5}")
    os.replace(tmp, target)


def select(labels, target, mode):
    """Indices of the records a run keeps: the first `target`, or `target`/10 per class (the first target % 10
    classes one more), each the first ones of its class in file order."""
    if mode == "first":
        return np.arange(min(target, len(labels)))
    quota = [target // 10 + (1 if c < target % 10 else 0) for c in range(NUM_CLASSES)]
    keep = []
    for i, c in enumerate(labels):
        if len(keep) >= target:
            break
        if quota[c] > 0:
            quota[c] -= 1
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def load_cifar(path, cfg, log):
    """(train x, train y, test x, test y): uint8 [N, 3, 32, 32] and int64 [N], the config's subsets."""
    if not os.path.exists(path):
        download_cifar(path, log)
    splits = {"train": [], "test": []}
    for name, data in cifar_streams(path):
        if len(data) % RECORD:
            raise ValueError(f"{name}: {len(data)} bytes is not a whole number of {RECORD}-byte records")
        splits["test" if "test" in os.path.basename(name).lower() else "train"].append(np.frombuffer(data, np.uint8).reshape(-1, RECORD))
    out = []
    for split, want in (("train", cfg["train"]), ("test", cfg["test"])):
        if not splits[split]:
            raise ValueError(f"{path}: no {split} records")
        records = np.concatenate(splits[split])
        keep = select(records[:, 0], want, cfg["subset"])
        out += [torch.from_numpy(records[keep, 1:].reshape(-1, 3, 32, 32).copy()), torch.from_numpy(records[keep, 0].astype(np.int64))]
    return out


def normalise(x, device, memory_format):
    """(x - mean) / std per channel, x on the 0-255 scale (uint8 or float)."""
    mean = torch.tensor(CIFAR_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR_STD, device=device).view(1, 3, 1, 1)
    return ((x.to(device, non_blocking=True).float() - mean) / std).contiguous(memory_format=memory_format)


def augment(x, gen):
    """4-px reflect-padded random crop and a horizontal flip with probability 1/2, per image, in one gather."""
    n, p = x.shape[0], CROP_PADDING
    padded = F.pad(x, (p, p, p, p), mode="reflect")
    dy = torch.randint(0, 2 * p + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * p + 1, (n,), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    r = torch.arange(32)
    rows = (dy[:, None] + r).to(x.device)
    cols = torch.where(flip[:, None], dx[:, None] + 31 - r, dx[:, None] + r).to(x.device)
    idx = torch.arange(n, device=x.device)
    return padded.permute(0, 2, 3, 1)[idx[:, None, None], rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


# ---------------------------------------------------------------------------------------------------------------
# The recipe: the page's plan and learning-rate schedule (src/core/schedule.ts), step for step
# ---------------------------------------------------------------------------------------------------------------
def js_round(v):
    return math.floor(v + 0.5)  # JavaScript's Math.round (Python's round() rounds halves to even)


def plan_run(cfg, train_images):
    batch = max(1, min(cfg["batch"], train_images))
    steps_per_epoch = max(1, train_images // batch)
    return {"batch": batch, "stepsPerEpoch": steps_per_epoch, "totalSteps": steps_per_epoch * cfg["epochs"],
            "warmupSteps": js_round(cfg["warmup"] * steps_per_epoch)}


def learning_rate_at(cfg, plan, step):
    t, lr = min(step, plan["totalSteps"]), cfg["lr"]
    if cfg["schedule"] == "step":
        for b in STEP_BOUNDARIES:
            if t >= js_round(b * plan["totalSteps"]):
                lr *= STEP_FACTOR
    elif cfg["schedule"] == "cosine":
        lr *= 0.5 * (1 + math.cos(math.pi * t / plan["totalSteps"]))
    if t < plan["warmupSteps"]:
        lr *= (t + 1) / plan["warmupSteps"]
    return lr


# ---------------------------------------------------------------------------------------------------------------
# Training and evaluation
# ---------------------------------------------------------------------------------------------------------------
class Env:
    """Rank, world and device; under torchrun a DDP process group (NCCL on GPUs, gloo on the CPU)."""

    def __init__(self, device_arg):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        kind = device_arg or ("cuda" if torch.cuda.is_available() else "cpu")
        if kind == "cuda" and not torch.cuda.is_available():
            raise SystemExit("error: --device cuda, but PyTorch sees no CUDA GPU")
        self.device = torch.device(f"cuda:{local}" if kind == "cuda" else "cpu")
        if kind == "cuda":
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group("nccl" if kind == "cuda" else "gloo")

    @property
    def main(self):
        return self.rank == 0

    def all_sum(self, t):
        if self.world > 1:
            dist.all_reduce(t)
        return t


# metrics.jsonl, one JSON object a line, as `wrn train` writes it and the page's "Import metrics" reads it (the
# page's src/core/metricsFile.ts; a test holds these lists to it): {"model": name, "kind": kind, ...} with exactly
# these fields, in this order (`wrn train` also writes the seed, after the model's name).
LINE_FIELDS = {
    "step": ["step", "epoch", "loss", "trainAccuracy", "lr", "imagesPerSec", "stepMs", "numTensors", "deviceBytes", "seconds", "flops"],
    "eval": ["step", "epoch", "testLoss", "testAccuracy", "testImages", "confusion", "seconds", "flops"],
    "blocks": ["step", "epoch", "blocks", "residualRatio", "probeImages", "layers", "weightNorm", "gradNorm", "seconds", "flops"],
    "summary": ["status", "steps", "seconds", "flops", "firstStepMs", "finalEval", "testAccuracy"],
}


def metrics_line(name, kind, values):
    """A line of metrics.jsonl: the fields LINE_FIELDS lists for its kind, taken from `values`."""
    return {"model": name, "kind": kind, **{k: values[k] for k in LINE_FIELDS[kind]}}


def evaluate(model, x, y, env, memory_format, bf16, chunk=500):
    """Test loss and accuracy with BN's running statistics and no dropout; the test set sharded over the ranks."""
    model.eval()
    confusion = torch.zeros(NUM_CLASSES * NUM_CLASSES, dtype=torch.float64, device=env.device)
    loss_sum = torch.zeros((), dtype=torch.float64, device=env.device)
    with torch.no_grad():
        for start in range(env.rank * chunk, len(y), chunk * env.world):
            xb = normalise(x[start:start + chunk], env.device, memory_format)
            yb = y[start:start + chunk].to(env.device)
            with torch.autocast(env.device.type, dtype=torch.bfloat16, enabled=bf16):
                logits = model(xb)
            loss_sum += F.cross_entropy(logits.float(), yb, reduction="sum").double()
            confusion += torch.bincount(yb * NUM_CLASSES + logits.argmax(1), minlength=NUM_CLASSES ** 2).double()
    model.train()
    env.all_sum(confusion)
    env.all_sum(loss_sum)
    total = len(y)
    return {"testLoss": loss_sum.item() / total, "testAccuracy": confusion.view(10, 10).diag().sum().item() / total,
            "testImages": total, "confusion": [int(c) for c in confusion.tolist()]}


def conv_layers(model):
    """(page name, conv) of every convolution, in the page's order: conv1, then per block conv1, conv2, shortcut."""
    convs = [("conv1", model.conv1)]
    for bid, b in zip(model.block_ids, model.blocks):
        convs += [(f"{bid}_conv1", b.conv1), (f"{bid}_conv2", b.conv2)] + ([(f"{bid}_shortcut", b.shortcut)] if b.shortcut is not None else [])
    return convs


def block_stats(model, x, probe, device, chunk=500):
    """Inside the net (the page's `blocks` points): per residual block the mean over the first `probe` test images of
    ||F_b(x)|| / ||s_b(x)||, the residual branch's output against the shortcut's (BN's running statistics, no
    dropout, float32), and each convolution's weight norm."""
    model.eval()
    n = min(probe, len(x))
    sums = torch.zeros(len(model.blocks), dtype=torch.float64, device=device)
    with torch.no_grad():
        for start in range(0, n, chunk):
            h = model.conv1(normalise(x[start:min(start + chunk, n)], device, torch.contiguous_format))
            for i, b in enumerate(model.blocks):
                pre = F.relu(b.bn1(h))
                y = b.conv2(F.relu(b.bn2(b.conv1(pre))))
                s = h if b.shortcut is None else b.shortcut(pre)
                sums[i] += (y.flatten(1).norm(dim=1) / s.flatten(1).norm(dim=1).clamp_min(1e-12)).double().sum()
                h = y + s
        weight_norms = [c.weight.float().norm().item() for _, c in conv_layers(model)]
    model.train()
    return {"blocks": list(model.block_ids), "residualRatio": (sums / n).tolist(), "probeImages": n,
            "layers": [name for name, _ in conv_layers(model)], "weightNorm": weight_norms}


def train_model(index, m, cfg, data, env, args, emit, log):
    xtr, ytr, xte, yte = data
    xtr, ytr = xtr.to(env.device), ytr.to(env.device)  # 150 MB for all of CIFAR-10: one upload, then gathers
    torch.manual_seed(cfg["seed"])
    model = WRN(m["depth"], m["width"], m["dropout"]).to(env.device)
    if args.init_from and index == 0:
        load_tfjs(model, args.init_from)
    memory_format = torch.channels_last if args.bf16 else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    params, macs = count_cost(model)
    name = model_name(m)
    plan = plan_run(cfg, len(ytr))
    total = min(args.steps or plan["totalSteps"], plan["totalSteps"])
    batch = plan["batch"]
    if batch % env.world:
        raise SystemExit(f"error: the batch ({batch}) must divide evenly over {env.world} processes")
    local = batch // env.world
    flops_per_image = 6 * macs
    log(f"{name}: {params:,} params, {total} steps of {batch}" + (f" ({local} per process on {env.world})" if env.world > 1 else ""))

    net = model
    if env.world > 1:
        net = nn.parallel.DistributedDataParallel(model, device_ids=[env.device.index] if env.device.type == "cuda" else None)
    if args.compile and hasattr(torch, "compile"):
        net = torch.compile(net)
    # Weight decay in the paper's convention (Torch's optim.sgd; the page adds wd * w to the gradient): PyTorch's
    # SGD weight_decay does exactly that, on every parameter (BN and the dense bias too, as the page).
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"], nesterov=cfg["nesterov"] and cfg["momentum"] > 0,
                          weight_decay=cfg["wd"])
    order_gen = torch.Generator().manual_seed(cfg["seed"] * 7919 + 1)  # the same order on every rank
    aug_gen = torch.Generator().manual_seed(cfg["seed"] * 7919 + 2 + env.rank)
    eval_every = cfg["evalEvery"] if cfg["evalEvery"] > 0 else plan["stepsPerEpoch"]
    probe = cfg.get("probe", 256)
    grad_norms = None  # the convolutions' gradient norms at the step before an evaluation

    active, last_eval, first_step_ms, perm = 0.0, None, None, None
    window = []  # (loss sum, right answers, lr) tensors, read back together
    window_start = time.perf_counter()

    def flush():
        nonlocal active, window_start
        if not window:
            return
        packed = env.all_sum(torch.stack([torch.stack([w[0], w[1]]) for w in window]).double())
        now = time.perf_counter()
        elapsed = now - window_start
        active += elapsed
        k = len(window)
        first = step - k + 1
        device_bytes = torch.cuda.memory_allocated(env.device) if env.device.type == "cuda" else 0
        for i, w in enumerate(window):
            emit(metrics_line(name, "step", {
                "step": first + i, "epoch": (first + i) / plan["stepsPerEpoch"],
                "loss": packed[i, 0].item() / batch, "trainAccuracy": packed[i, 1].item() / batch, "lr": w[2],
                "imagesPerSec": k * batch / elapsed, "stepMs": 1000 * elapsed / k,
                "numTensors": 0, "deviceBytes": device_bytes,  # numTensors is a tfjs leak check; none here
                "seconds": active - elapsed + (i + 1) * elapsed / k, "flops": (first + i) * batch * flops_per_image}))
        window.clear()
        window_start = time.perf_counter()

    def run_eval():
        nonlocal active, window_start
        t0 = time.perf_counter()
        point = evaluate(model, xte, yte, env, memory_format, args.bf16)  # not DDP's wrapper: no collectives per chunk
        active += time.perf_counter() - t0
        point = {"kind": "eval", "step": step, "epoch": step / plan["stepsPerEpoch"], **point,
                 "seconds": active, "flops": step * batch * flops_per_image}
        emit(metrics_line(name, "eval", point))
        if probe > 0:
            t0 = time.perf_counter()
            stats = block_stats(model, xte, probe, env.device)
            active += time.perf_counter() - t0
            emit(metrics_line(name, "blocks", {"step": step, "epoch": step / plan["stepsPerEpoch"], **stats, "gradNorm": grad_norms,
                                               "seconds": active, "flops": step * batch * flops_per_image}))
        window_start = time.perf_counter()
        return point

    net.train()
    step = 0
    while step < total:
        if step % plan["stepsPerEpoch"] == 0:
            perm = torch.randperm(len(ytr), generator=order_gen)
        at = (step % plan["stepsPerEpoch"]) * batch
        idx = perm[at:at + batch][env.rank::env.world].to(env.device)  # this rank's shard of the global batch
        x = xtr[idx].float()
        if cfg["augment"]:
            x = augment(x, aug_gen)
        x = normalise(x, env.device, memory_format)
        y = ytr[idx]
        lr = learning_rate_at(cfg, plan, step)
        for group in opt.param_groups:
            group["lr"] = lr
        with torch.autocast(env.device.type, dtype=torch.bfloat16, enabled=args.bf16):
            logits = net(x)
        loss = F.cross_entropy(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if probe > 0 and ((step + 1) % eval_every == 0 or step + 1 == total):
            # the loss's gradient (weight decay is added inside opt.step), averaged over the ranks by DDP
            grad_norms = [c.weight.grad.float().norm().item() for _, c in conv_layers(model)]
        opt.step()
        window.append((loss.detach() * len(y), (logits.argmax(1) == y).sum().float(), lr))
        step += 1
        if first_step_ms is None:
            flush()
            first_step_ms = active * 1000
        elif len(window) >= args.read_every:
            flush()
        if step % eval_every == 0 or step == total:
            flush()
            last_eval = run_eval()
    flush()
    summary = {"status": "finished", "steps": step, "seconds": active, "flops": step * batch * flops_per_image,
               "firstStepMs": first_step_ms or 0, "finalEval": last_eval, "testAccuracy": last_eval["testAccuracy"] if last_eval else None}
    emit(metrics_line(name, "summary", summary))
    return model, summary


def json_safe(v):
    """As JavaScript's JSON.stringify writes a diverged loss: null, not Python's NaN (which is not JSON)."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    return [json_safe(x) for x in v] if isinstance(v, list) else v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", help="a config.json to use instead of the one built into this file")
    ap.add_argument("--data", default="cifar10", help="CIFAR-10: a folder of .bin files, the .tar.gz, or a folder to download it into")
    ap.add_argument("--out", help="run folder: config.json, metrics.jsonl, and each model's weights (tfjs format); "
                                  "a folder that holds a run is refused unless --overwrite")
    ap.add_argument("--overwrite", action="store_true", help="with --out: replace the run in that folder (its other files stay)")
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (the schedule still spans the whole run)")
    ap.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda when available")
    ap.add_argument("--bf16", action="store_true", help="CUDA: bf16 autocast and channels_last")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch 2)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (torch.set_num_threads)")
    ap.add_argument("--read-every", type=int, default=10, help="read losses back every N steps")
    ap.add_argument("--init-from", help="start from weights: a folder with model.json + weights.bin (or a run folder)")
    ap.add_argument("--eval-only", action="store_true", help="with --init-from: print test loss and accuracy, and exit")
    ap.add_argument("--blocks", action="store_true", help="with --eval-only: also print the weights' `blocks` line")
    ap.add_argument("--info", action="store_true", help="print the net's name, params and MACs as JSON, and exit")
    args = ap.parse_args()
    global CONFIG
    if args.config:
        try:
            with open(args.config) as f:
                CONFIG = json.load(f)
        except (OSError, ValueError) as err:
            raise BadInput(f"--config {echo(args.config)}: {echo(str(err))}")
    problem = config_problem(CONFIG)
    if problem:
        raise BadInput(f"the config cannot be trained: {problem}")
    cfg = CONFIG["config"]
    models = [{"depth": cfg["depth"], "width": cfg["width"], "dropout": cfg["dropout"]}] + [
        {"depth": c["depth"], "width": c["width"], "dropout": c["dropout"]} for c in cfg.get("compare", [])]
    if args.steps < 0 or args.read_every < 1 or args.threads < 0:
        raise BadInput("--steps and --threads must be 0 or more, --read-every 1 or more")
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.info:
        rows = []
        for m in models:
            params, macs = count_cost(WRN(m["depth"], m["width"], m["dropout"]))
            rows.append({"name": f"WRN-{m['depth']}-{m['width']}", **m, "params": params, "macs": macs,
                         "batch": cfg["batch"], "trainingBytes": training_bytes(m, cfg["batch"])})
        print(json.dumps({**rows[0], "compare": rows[1:]} if len(rows) > 1 else rows[0]))
        return
    if args.eval_only and not args.init_from:
        ap.error("--eval-only needs --init-from")
    run_files = existing_run(args.out) if args.out and not args.eval_only else []
    if run_files and not args.overwrite:
        raise BadInput(f"{args.out} holds a run ({', '.join(run_files[:4])}); pass --overwrite to replace it, or choose another folder")

    env = Env(args.device)
    if not args.eval_only:
        problem = memory_problem(models, min(cfg["batch"], cfg["train"]), env.device, env.world)
        if problem:
            raise BadInput(problem)
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if env.main else (lambda s: None)
    # The page's comparison policies are not part of this script: say so rather than train something else silently.
    if cfg.get("seeds", 1) > 1:
        log(f"note: seeds={cfg['seeds']} in the link: train.py trains seed {cfg['seed']} only (run it once per seed)")
    if cfg.get("budget", {}).get("kind", "epochs") != "epochs":
        log(f"note: the link's {cfg['budget']['kind']} budget is not applied: train.py trains {cfg['epochs']} epochs")
    if cfg.get("order") == "interleaved":
        log("note: order=interleaved does not apply: train.py trains the nets one after another")
    if args.eval_only:  # the weights first: bad files fail before any data is read or downloaded
        model = WRN(models[0]["depth"], models[0]["width"], models[0]["dropout"]).to(env.device)
        load_tfjs(model, args.init_from)
    data = load_cifar(args.data, cfg, log)
    log(f"data: {len(data[1])} train and {len(data[3])} test images from {args.data}; device {env.device}, {env.world} process(es)")
    if args.eval_only:
        point = evaluate(model, data[2], data[3], env, torch.contiguous_format, False)
        if env.main:
            print(json.dumps({k: point[k] for k in ("testAccuracy", "testLoss", "testImages")}), flush=True)
            if args.blocks:
                stats = block_stats(model, data[2], max(1, cfg.get("probe", 256)), env.device)
                line = metrics_line(model_name(models[0]), "blocks", {"step": 0, "epoch": 0, **stats, "gradNorm": None, "seconds": 0, "flops": 0})
                print(json.dumps(line), flush=True)
        return

    out = args.out if env.main else None
    if out:
        for name in run_files:  # --overwrite: the old run's files go, so none is left beside the new one
            target = os.path.join(out, name)
            shutil.rmtree(target) if os.path.isdir(target) and not os.path.islink(target) else os.remove(target)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(CONFIG, f, indent=2)
        open(os.path.join(out, "metrics.jsonl"), "w").close()

    def emit(line):
        if not env.main:
            return
        text = json.dumps(json_safe(line))
        print(text, flush=True)
        if out:
            with open(os.path.join(out, "metrics.jsonl"), "a") as f:
                f.write(text + "\n")

    for index, m in enumerate(models):
        model, summary = train_model(index, m, cfg, data, env, args, emit, log)
        if out:
            folder = os.path.join(out, "model" if len(models) == 1 else f"{index}-{re.sub(r'[^A-Za-z0-9_]+', '-', model_name(m))}")
            save_tfjs(model, folder)
            with open(os.path.join(folder, "summary.json"), "w") as f:
                json.dump(summary, f, indent=2)
    if env.world > 1:
        dist.destroy_process_group()


def existing_run(folder):
    """The entries of a run in `folder` (as `wrn train --out` and this script write them), or [] for none: its
    metrics, weights, checkpoints and summaries, and its config.json unless train.py is beside it (an export's)."""
    if not os.path.isdir(folder):
        return []
    names = sorted(n for n in os.listdir(folder) if n in ("config.json", "metrics.jsonl", "summary.json", "model")
                   or re.match(r"^\d+-WRN-", n) or re.match(r"^checkpoints?(\b|[-_.])", n))
    if names == ["config.json"] and os.path.exists(os.path.join(folder, "train.py")):
        return []
    return names


if __name__ == "__main__":
    try:
        main()
    except BadInput as err:  # a config, weights or folder this script refuses: one line, exit 2
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except (ValueError, OSError) as err:  # bad data or paths: say what, without a traceback
        sys.exit(f"error: {echo(str(err)) if len(str(err)) > 400 else str(err)}")
