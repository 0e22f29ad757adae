#!/usr/bin/env node
// Runs the TypeScript sources through tsx's ESM loader, so `npm ci` alone makes
// `npx deployctl` work from the repository root: there is no build step to forget.
import { tsImport } from 'tsx/esm/api';

const { run } = await tsImport('../src/cli.ts', import.meta.url);
process.exitCode = await run(process.argv.slice(2));
