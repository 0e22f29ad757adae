// A temporary copy of the repository's working tree as the build context,
// with decoy secrets planted where a careless Dockerfile or .dockerignore would
// let them into the image. The real Dockerfile and .dockerignore are the copy's.
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../support/paths.js';
import { check } from './commands.js';

export interface BuildContext {
  dir: string;
  /** A random string written only into decoy files: it must appear nowhere in the image. */
  marker: string;
  /** Context-relative paths of the decoys. */
  decoys: string[];
}

export async function makeBuildContext(): Promise<BuildContext> {
  const dir = mkdtempSync(path.join(tmpdir(), 'image-test-context-'));
  // Tracked and untracked-but-not-ignored files: what a CI checkout holds.
  await check('bash', [
    '-c',
    'git ls-files --cached --others --exclude-standard -z | tar --null --files-from=- --ignore-failed-read -cf - | tar -C "$1" -xf -',
    'copy-context',
    dir,
  ]);
  // The model bundle may be produced by training rather than tracked.
  for (const file of ['model/model.onnx', 'model/model.json']) {
    const source = path.join(REPO_ROOT, file);
    if (existsSync(source)) cpSync(source, path.join(dir, file));
  }

  const marker = `decoy-${randomBytes(12).toString('hex')}`;
  const decoys: Record<string, string> = {
    '.env': `API_TOKEN=${marker}\n`,
    'secret.txt': `${marker}\n`,
    '.git/config': `[credential]\n\thelper = store\n# ${marker}\n`,
    'service/.env.local': `DATABASE_PASSWORD=${marker}\n`,
    'service/src/.env': `API_TOKEN=${marker}\n`,
    'service/src/secret.test.ts': `export const token = '${marker}';\n`,
    'model/credentials.json': `{"token": "${marker}"}\n`,
    'node_modules/.decoy/secret.txt': `${marker}\n`,
  };
  for (const [file, content] of Object.entries(decoys)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return { dir, marker, decoys: Object.keys(decoys) };
}
