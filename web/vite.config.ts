import { defineConfig } from 'vite';

/** The web client's build: web/ in, dist/web/ out, every asset addressed relatively so it works under any path. */
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: './',
  publicDir: false,
  build: {
    outDir: new URL('../dist/web', import.meta.url).pathname,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
});
