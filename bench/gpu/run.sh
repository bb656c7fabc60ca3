#!/usr/bin/env bash
# Runs on the GPU machine, inside the folder bench/gpu/pack.sh made (no npm, no network needed there):
#   bash run.sh <results dir> [data dir]
# 1. PyTorch's images/s for the same nets, batch and optimizer (pytorch_wrn.py), 2. `bench` on node-webgpu (Dawn
# over the vendor's Vulkan driver), 3. with a data dir of CIFAR-10 .bin files, a short real training run on WebGPU.
# Each step has its own time limit so that one slow part cannot eat the others' time.
set -u
cd "$(dirname "$0")"
res=${1:?results dir}; data=${2:-}
mkdir -p "$res"
python3 - <<'PY'
import lzma, os, shutil
for src, dst in [("node.xz", "/tmp/wrn-node"), ("dawn.node.xz", "node_modules/webgpu/dist/linux-x64/dawn.node")]:
    with lzma.open(src) as f, open(dst, "wb") as g:
        shutil.copyfileobj(f, g)
os.chmod("/tmp/wrn-node", 0o755)
PY
# Dawn finds the GPU through the Vulkan loader; point it at NVIDIA's ICD where the driver is mounted outside /usr.
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && { export VK_ICD_FILENAMES=$icd; break; }
done
node=/tmp/wrn-node
{ nvidia-smi -L; echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset}"; $node --version; ldconfig -p | grep -c libvulkan; } 2>&1 | tee "$res/machine.txt"

nets=${NETS:-16-4,28-10}; batch=${BATCH:-128}
echo "== Dawn: which device request works (diag.mjs)"
timeout 60 $node diag.mjs 2>&1 | tee "$res/diag.txt"
[ -n "${SKIP_TORCH:-}" ] || { echo "== PyTorch"
PYTHONUNBUFFERED=1 timeout "${T_TORCH:-150}" python3 pytorch_wrn.py --nets "$nets" --batch "$batch" --steps 30 --out "$res/results-pytorch.json" 2>&1 | tee "$res/pytorch.log"; }
echo "== tfjs WebGPU (node-webgpu)"
timeout "${T_BENCH:-330}" $node cli/bench/wrn.mjs bench --targets node-webgpu --nets "$nets" --batch "$batch" --steps "${STEPS:-20}" \
  --read-every 5 --job-timeout "${T_JOB:-150}" --json "$res/results-gpu.json" --md "$res/BENCHMARKS-gpu.md" --label gpu 2>&1 | tee "$res/bench.log"
if [ -n "$data" ]; then
  echo "== training on real images (WebGPU)"
  CIFAR10_DIR=$data timeout "${T_TRAIN:-120}" $node cli/bench/wrn.mjs train "${TRAIN_CONFIG:-depth=16&width=4&batch=128&epochs=5&lr=0.1&train=4000&test=2000&seed=0}" \
    --data "$data" --backend webgpu > "$res/train.jsonl" 2> "$res/train.txt"
  echo "train exit $?"; tail -3 "$res/train.jsonl"
fi
