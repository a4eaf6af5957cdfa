// Builds the workspace as one ES module with fixed names (workspace.js, workspace.css) that
// the server-rendered page loads; heavy widget libraries are split into lazily loaded chunks.
import { defineConfig } from "vite";

export default defineConfig(({ mode }) => ({
  // Library mode leaves process.env.NODE_ENV for a bundler downstream; here the browser is
  // downstream, and the Svelte runtime inside Annotorious reads it.
  define: { "process.env.NODE_ENV": JSON.stringify(mode === "production" ? "production" : "development") },
  build: {
    outDir: "../src/fairlabel/web/static/dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: mode !== "production",
    minify: mode === "production",
    reportCompressedSize: true,
    lib: {
      entry: "src/workspace.ts",
      formats: ["es"],
      fileName: () => "workspace.js",
      cssFileName: "workspace",
    },
    rolldownOptions: {
      output: { chunkFileNames: "chunks/[name]-[hash].js" },
    },
  },
}));
