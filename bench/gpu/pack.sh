#!/usr/bin/env bash
# Packs the headless CLI (train, info, bench's Node targets) into one self-contained folder for a GPU machine that
# has no network and no npm: the CLI and the bench's job script as two bundled ES modules, Dawn's WebGPU for Node
# (the `webgpu` package, linux-x64 only), this Node binary (xz), and the PyTorch reference. See bench/gpu/run.sh.
#
#   bash bench/gpu/pack.sh [out-dir]        (default .cache/gpu-pack; about 35 MB)
#
# The layout mirrors the repo where the code looks for things: the bundles sit in cli/bench/ so that the bench
# finds its job script beside itself and package versions under node_modules/.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.cache/gpu-pack}
rm -rf "$out" && mkdir -p "$out/cli/bench" "$out/node_modules/webgpu/dist/linux-x64"

# CommonJS parts of the bundle (tfjs's WASM loader) want require/__dirname: give the ES module both.
banner="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
for entry in cli/main.ts:wrn cli/bench/nodeJob.ts:nodeJob; do
  npx esbuild "${entry%%:*}" --bundle --platform=node --format=esm --target=node20 --log-level=warning --minify-whitespace \
    --external:webgpu --external:vite --external:@playwright/test \
    --banner:js="$banner" --outfile="$out/cli/bench/${entry##*:}.mjs"
done

cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/node_modules/webgpu/"
# Dawn (21 MB) and Node (99 MB) travel compressed; run.sh unpacks them.
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$out/dawn.node.xz"
# Versions for the results file (cli/bench/machine.ts reads node_modules/<name>/package.json).
for name in @tensorflow/tfjs @tensorflow/tfjs-backend-webgpu @tensorflow/tfjs-backend-wasm; do
  mkdir -p "$out/node_modules/$name" && cp "node_modules/$name/package.json" "$out/node_modules/$name/"
done
cp package.json bench/gpu/run.sh bench/gpu/diag.mjs bench/gpu/pytorch_wrn.py "$out/"
xz -T0 -6 -c "$(command -v node)" > "$out/node.xz"
du -sh "$out"
