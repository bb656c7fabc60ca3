#!/usr/bin/env bash
# Runs on the GPU machine, inside the folder bench/gpu/pack.sh made (no npm, no network needed there):
#   bash run.sh <results dir> [data dir]
# In this order, the newest questions first:
# 1. diag.mjs: can Dawn make a device (and with tfjs's request);
# 2. per-kernel time (cli/bench/kernelTiming.ts): batch norm and both convolution gradients, our kernels against
#    tfjs's, on every layer shape of the nets at the batch, with GPU timestamps (timestamp quantization off);
# 3. `bench` on node-webgpu (Dawn over the vendor's Vulkan driver): the trainer's speed on all three paths, interleaved
#    in one job (the compiled step, tfjs's path with our kernels, tfjs's path with its own), with the host time and
#    the dispatches of a step on each, and a per-kernel profile of one step on each (GPU timestamps: tf.profile for
#    tfjs's paths, one timed pass per dispatch for the compiled step);
# 4. PyTorch's images/s for the same nets, batch and optimizer (pytorch_wrn.py);
# 5. with a data dir of CIFAR-10 .bin files, a short real training run on WebGPU (the compiled step, the default).
# Each step has its own time limit, and all of them together stay within DEADLINE seconds from the start (default
# 570: a device session allows 600 s per command), so that one slow part cannot eat the others' time. SKIP_KERNELS,
# SKIP_BENCH, SKIP_TORCH (any value) leave a step out.
set -u
cd "$(dirname "$0")"
res=${1:?results dir}; data=${2:-}
mkdir -p "$res"
deadline=${DEADLINE:-570}
# A step's limit: its own, or what is left before the deadline if that is less (0: skip it).
limit() { local left=$((deadline - SECONDS - 5)); [ "$left" -lt 20 ] && { echo 0; return; }; echo $(( $1 < left ? $1 : left )); }
python3 - <<'PY'
import lzma, os, shutil
for src, dst in [("node.xz", "node"), ("dawn.node.xz", "node_modules/webgpu/dist/linux-x64/dawn.node")]:
    with lzma.open(src) as f, open(dst, "wb") as g:
        shutil.copyfileobj(f, g)
os.chmod("node", 0o755)
PY
# Dawn finds the GPU through the Vulkan loader; point it at NVIDIA's ICD where the driver is mounted outside /usr.
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && { export VK_ICD_FILENAMES=$icd; break; }
done
node=$PWD/node  # unpacked into the pack's own folder
{ nvidia-smi -L; echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset}"; $node --version; ldconfig -p | grep -c libvulkan; } 2>&1 | tee "$res/machine.txt"

nets=${NETS:-16-4,28-10}; batch=${BATCH:-128}
echo "== Dawn: which device request works (diag.mjs)"
timeout 45 $node diag.mjs 2>&1 | tee "$res/diag.txt"

t=$(limit "${T_KERNELS:-150}")
if [ -z "${SKIP_KERNELS:-}" ] && [ "$t" -gt 0 ]; then
  echo "== per-kernel time, ours against tfjs's (node-webgpu, batch $batch, ${t} s)"
  # Dawn quantizes timestamps to 100 us unless told not to: kernels here take tens of microseconds to milliseconds.
  DAWN_FLAGS=${DAWN_FLAGS:-disable-dawn-features=timestamp_quantization} timeout "$t" $node cli/bench/wrn.mjs bench --targets node-webgpu \
    --nets none --kernel-nets "$nets" --kernel-batch "$batch" --kernel-reps "${KERNEL_REPS:-5}" --no-pytorch --job-timeout "${T_KJOB:-80}" \
    --json "$res/results-kernels.json" --md "$res/BENCHMARKS-kernels.md" --label gpu-kernels 2>&1 | tee "$res/kernels.log"
fi

t=$(limit "${T_BENCH:-260}")
if [ -z "${SKIP_BENCH:-}" ] && [ "$t" -gt 0 ]; then
  echo "== WebGPU trainers (compiled, tfjs with our kernels, tfjs's own) and step profiles (node-webgpu, ${t} s)"
  DAWN_FLAGS=${DAWN_FLAGS:-disable-dawn-features=timestamp_quantization} timeout "$t" $node cli/bench/wrn.mjs bench --targets node-webgpu \
    --nets "$nets" --batch "$batch" --steps "${STEPS:-6}" --read-every 3 --profile all --no-pytorch --job-timeout "${T_JOB:-170}" \
    --json "$res/results-gpu.json" --md "$res/BENCHMARKS-gpu.md" --label gpu 2>&1 | tee "$res/bench.log"
fi

t=$(limit "${T_TORCH:-75}")
if [ -z "${SKIP_TORCH:-}" ] && [ "$t" -gt 0 ]; then
  echo "== PyTorch (${t} s)"
  PYTHONUNBUFFERED=1 timeout "$t" python3 pytorch_wrn.py --nets "$nets" --batch "$batch" --steps 30 --out "$res/results-pytorch.json" 2>&1 | tee "$res/pytorch.log"
fi

t=$(limit "${T_TRAIN:-60}")
if [ -n "$data" ] && [ "$t" -gt 0 ]; then
  echo "== training on real images (WebGPU, ${t} s)"
  CIFAR10_DIR=$data timeout "$t" $node cli/bench/wrn.mjs train "${TRAIN_CONFIG:-depth=16&width=4&batch=128&epochs=3&lr=0.1&train=4000&test=2000&seed=0}" \
    --data "$data" --backend webgpu > "$res/train.jsonl" 2> "$res/train.txt"
  echo "train exit $?"; tail -3 "$res/train.jsonl"
fi
echo "== done in ${SECONDS} s"
