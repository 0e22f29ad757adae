// Run inside the Dockerfile's prod-deps stage, after `npm ci --omit=dev --workspace service`:
// deletes every installed package that the service's production dependency graph
// does not reach. Needed because npm's --omit=dev follows the lockfile's `dev` flag,
// which is computed for the whole monorepo: a service devDependency (esbuild) that
// another workspace needs at run time (deployctl → tsx → esbuild) is not flagged
// dev, so npm installs it. `npm ls --omit=dev --workspace service` follows the
// service's own dependency edges instead, so its list (less extraneous packages)
// is what the image needs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve('node_modules');
const listed = execFileSync(
  'npm',
  ['ls', '--omit=dev', '--workspace', 'service', '--all', '--parseable', '--long'],
  { encoding: 'utf8' },
);
// Lines are `<path>:<name>@<version>[:EXTRANEOUS|:INVALID...]`; an extraneous
// package is installed but required by nothing, so it goes too.
const keep = new Set(
  listed
    .split('\n')
    .filter((line) => line.trim() && !line.endsWith(':EXTRANEOUS'))
    .map((line) => line.slice(0, line.indexOf(':') === -1 ? undefined : line.indexOf(':'))),
);
if (![...keep].some((dir) => dir.endsWith(`${path.sep}onnxruntime-node`))) {
  throw new Error(`npm ls gave no onnxruntime-node; refusing to prune. Output:\n${listed}`);
}

let removed = 0;
/** Visits the package folders of one node_modules folder (scoped ones one level down). */
function prune(modules) {
  if (!existsSync(modules)) return;
  for (const entry of readdirSync(modules, { withFileTypes: true })) {
    const dir = path.join(modules, entry.name);
    if (entry.name === '.bin') {
      // links to executables; none is run in the image
      rmSync(dir, { recursive: true, force: true });
    } else if (entry.name.startsWith('@') && entry.isDirectory()) {
      prune(dir);
      if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
    } else if (!entry.name.startsWith('.')) {
      if (keep.has(dir)) {
        prune(path.join(dir, 'node_modules'));
      } else {
        rmSync(dir, { recursive: true, force: true });
        removed += 1;
      }
    }
  }
}
prune(root);
// Versions that conflict with the hoisted ones live under the workspace folder.
prune(path.resolve('service', 'node_modules'));
console.log(`prune-node-modules: kept ${keep.size - 1} packages, removed ${removed}`);
