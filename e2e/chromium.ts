/**
 * The one place that says how we launch Chromium: Debian's system build (never a downloaded one) with flags that
 * give headless Chromium a real WebGPU adapter on SwiftShader and keep it off the network (the notes: without the
 * background-networking flags it keeps trying hosts this network refuses). Used by playwright.config.ts and the
 * benchmark's browser runner.
 */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
