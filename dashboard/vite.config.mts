import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * The partner dashboard: Preact, built into dist/dashboard and served by the function app itself
 * (functions/http/dashboard.ts) under a strict Content-Security-Policy: no inline script or style,
 * so the build emits files only.
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/dashboard", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    modulePreload: { polyfill: false },
  },
});
