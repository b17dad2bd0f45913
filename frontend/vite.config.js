import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies to a running edge (default http://localhost:3000) so the app keeps
// using same-origin relative URLs; the production build is served by the edge itself.
const target = process.env.MINITALK_EDGE || 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target, changeOrigin: true },
      '/socket.io': { target, changeOrigin: true, ws: true },
    },
  },
  build: { outDir: 'dist' },
  test: {
    environment: 'node',
    include: ['src/**/*.test.{js,jsx}'],
  },
});
