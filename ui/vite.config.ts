// Builds the window into ui/dist, which src-tauri embeds (`frontendDist: "../ui/dist"`).
// The output has to live under a strict CSP: no inline scripts or styles, no eval, no remote
// content, so the module-preload polyfill (an inline helper) is off and assets are never inlined.
import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  plugins: [svelte()],
  base: "./",
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: "127.0.0.1" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: ["es2022", "chrome105", "safari15"],
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ["tests/unit/**/*.test.ts"],
    environment: "node",
  },
});
