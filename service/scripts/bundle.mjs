// Bundles dist/server.js (tsc's output) and its dependencies into one file, in place.
// Why: the cold start (spawn → /readyz 200) must stay under 1 s on 2 shared cores, and
// resolving and compiling Fastify, Ajv, TypeBox, pino and prom-client file by file cost
// ~450 ms of CPU, more than loading and warming up the model. One file loads in a fraction.
// onnxruntime-node (native binary) and @fastify/swagger-ui (serves its own files from
// node_modules by path) stay external and are loaded from node_modules as usual.
// @mlops/model-contract (card validation, featurize) is TypeScript source only: it must be
// bundled (never external), and esbuild compiles it here; the image has no copy of it.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/server.js'],
  outfile: 'dist/server.js',
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  external: ['onnxruntime-node', '@fastify/swagger-ui'],
  // CommonJS dependencies call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
});
