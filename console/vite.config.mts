import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

/**
 * The console's build: served by the API at /console (api/console.ts) with a
 * strict Content-Security-Policy, so nothing inline: no module-preload
 * polyfill script, no assets inlined into the bundle, CSS in a file of its own.
 */
export default defineConfig({
  base: '/console/',
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    target: 'es2022',
    sourcemap: false,
  },
});
