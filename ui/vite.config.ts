import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

// The UI is embedded in the Tauri app and served under a strict CSP
// (`script-src 'self'; style-src 'self'`): everything is emitted as external files.
export default defineConfig({
  plugins: [svelte()],
  resolve: {
    alias: { $lib: fileURLToPath(new URL('./src/lib', import.meta.url)) },
  },
  // The catalogues as one `JSON.parse("…")` each, not as object literals per section: the
  // JSON parser reads the 52 KB English catalogue faster than the JS parser and interpreter
  // build it (issue 14, start-up). Every import of a catalogue is its default export.
  json: { namedExports: false, stringify: true },
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
