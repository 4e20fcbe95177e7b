import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The viewer serves the built UI at `/` with an SPA fallback, so asset URLs are absolute: a
// relative base would break on deep links such as /runs/<id>.
export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "../src/runicorn/viewer/static",
    emptyOutDir: true,
    target: "es2022",
    rolldownOptions: {
      output: {
        // React changes less often than the app: its own chunk stays cached across releases.
        codeSplitting: {
          groups: [{ name: "react", test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ }],
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      "/api": { target: "http://127.0.0.1:23300", ws: true, changeOrigin: false },
    },
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
