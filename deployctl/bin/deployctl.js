#!/usr/bin/env node
// Runs the TypeScript sources through tsx's ESM loader, so `npm ci` alone makes
// `npx deployctl` work from the repository root: there is no build step to forget.
import { tsImport } from 'tsx/esm/api';

// A reader that stops early (`deployctl timeline | head`) closes the pipe: that
// ends the output, it is not a crash. Any other stdout error still is one.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const { run } = await tsImport('../src/cli.ts', import.meta.url);
process.exitCode = await run(process.argv.slice(2));
