import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// The C++ server serves dist/index.html at / (with the page configuration injected), /assets/*
// (the bundle) and /static/* (images).
export default defineConfig({
  plugins: [vue()],
  base: "/",
  build: { outDir: "dist", assetsDir: "assets", emptyOutDir: true },
  test: { environment: "node", include: ["test/**/*.test.js"] },
});
