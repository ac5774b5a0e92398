// Vite config: Svelte plugin, build to ui/dist, dev server proxying the hub's API and socket.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Where `npm run dev` forwards /api and /ws: a hub running locally on its default port.
const HUB = 'http://127.0.0.1:7470';

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
  },
  server: {
    proxy: {
      '/api': { target: HUB, changeOrigin: false },
      '/ws': { target: HUB, ws: true, changeOrigin: false },
    },
  },
});
