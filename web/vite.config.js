import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// The C++ server serves dist/index.html at / (with the page configuration injected), /assets/*
// (the bundle) and /static/* (images). The page imports ../protocol/texts.json (the wire texts
// shared with the server), so the dev server may read the repository root's protocol/ folder.
export default defineConfig({
  plugins: [vue()],
  base: "/",
  build: { outDir: "dist", assetsDir: "assets", emptyOutDir: true },
  server: { fs: { allow: [".", "../protocol"] } },
  test: { environment: "node", include: ["test/**/*.test.js"] },
});
