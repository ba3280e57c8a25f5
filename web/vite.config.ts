import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The web client's build: web/ in, dist/web/ out, every asset addressed relatively so it works under any path. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
});
