// Can Dawn (the `webgpu` package) make a device on this machine, and with which request? Prints one JSON line per
// attempt, full error text included, and last a line `WORKS <variant>` for the first tfjs-like request that works.
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const flags = (process.env.DAWN_FLAGS ?? '').split(' ').filter(Boolean);
const gpu = create(flags);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) {
  console.log(JSON.stringify({ adapter: null }));
  process.exit(1);
}
const info = adapter.info ?? {};
console.log(
  JSON.stringify({
    flags,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    fallback: adapter.isFallbackAdapter,
    features: [...adapter.features],
  }),
);
const L = adapter.limits;
const limits = {
  maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
  maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
  maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
  maxBufferSize: L.maxBufferSize,
  maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
  maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
};
const variants = {
  plain: {},
  limits: { requiredLimits: limits },
  timestamp: { requiredFeatures: ['timestamp-query'] },
  bgra: { requiredFeatures: adapter.features.has('bgra8unorm-storage') ? ['bgra8unorm-storage'] : [] },
  // what tfjs 4.22 asks for (it pushes bgra8unorm-storage as a nested array)
  tfjs: {
    requiredFeatures: [
      ...(adapter.features.has('timestamp-query') ? ['timestamp-query'] : []),
      ...(adapter.features.has('bgra8unorm-storage') ? [['bgra8unorm-storage']] : []),
    ],
    requiredLimits: limits,
  },
};
let works = null;
for (const [name, desc] of Object.entries(variants)) {
  try {
    const fresh = await gpu.requestAdapter({ powerPreference: 'high-performance' }); // an adapter makes one device
    const device = await fresh.requestDevice(desc);
    const buf = device.createBuffer({ size: 1 << 20, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    buf.destroy();
    console.log(JSON.stringify({ variant: name, ok: true }));
    device.destroy();
    if (name === 'tfjs') works = name;
  } catch (e) {
    console.log(JSON.stringify({ variant: name, ok: false, error: String(e?.stack ?? e) }));
  }
}
console.log(works ? `WORKS ${works}` : 'NO tfjs-like device');
process.exit(0);
