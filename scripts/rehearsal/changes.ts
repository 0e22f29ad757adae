/**
 * The pushes the rehearsal measures after the project's first pipeline (issue
 * 11: push to live for a code-only change, a lockfile change and a Dockerfile
 * change). Each edits the project's checkout before its commit; each edit is
 * new every time (a timestamp), so repeated changes of one kind are distinct
 * commits that still hit or miss the same caches.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CHANGE_KINDS = ['code', 'lockfile', 'dockerfile'] as const;
export type Change = (typeof CHANGE_KINDS)[number];

interface ChangeSpec {
  /** The commit's subject. */
  message: string;
  /** Edits the checkout at `dir`. */
  apply(dir: string, stamp: string): void;
}

function edit(path: string, change: (text: string) => string): void {
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`the rehearsal's change left ${path} as it was`);
  writeFileSync(path, after);
}

/** `1.0.0` → `1.0.1`: the service's own version, in its package.json and in the lockfile. */
function bumpPatch(version: string): string {
  const [major, minor, patch] = version.split('.').map(Number);
  return `${major}.${minor}.${(patch ?? 0) + 1}`;
}

export const CHANGES: Record<Change, ChangeSpec> = {
  // The original design's scenario 1, which never redeployed there.
  code: {
    message: 'fix: a code-only change',
    apply(dir, stamp) {
      edit(
        join(dir, 'service/src/server.ts'),
        (text) => `${text}\n// Rehearsal: a code-only change (${stamp}).\n`,
      );
    },
  },
  // package-lock.json changes (as with any dependency change), so every cache keyed
  // on it misses: npm's downloads, the image's production node_modules layer.
  lockfile: {
    message: 'chore: a lockfile change (the service version)',
    apply(dir) {
      const manifest = join(dir, 'service/package.json');
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
      const next = bumpPatch(pkg.version);
      edit(manifest, (text) => text.replace(`"version": "${pkg.version}"`, `"version": "${next}"`));
      const lockfile = join(dir, 'package-lock.json');
      const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as {
        packages: Record<string, { version?: string }>;
      };
      const entry = lock.packages.service;
      if (!entry) throw new Error('package-lock.json has no `service` workspace entry');
      entry.version = next;
      writeFileSync(lockfile, `${JSON.stringify(lock, null, 2)}\n`);
    },
  },
  // The Dockerfile changes in the stages the production dependencies come from,
  // so the image's dependency layer is rebuilt (and its GitLab cache key misses).
  dockerfile: {
    message: 'build: a Dockerfile change (an ENV of the dependency stages)',
    apply(dir, stamp) {
      const value = `REHEARSAL_CHANGE=${stamp.replace(/\D/g, '')}`;
      edit(join(dir, 'Dockerfile'), (text) =>
        text.includes('REHEARSAL_CHANGE=')
          ? text.replace(/REHEARSAL_CHANGE=\d+/, value)
          : text.replace(/^( *NPM_CONFIG_AUDIT=false)$/m, `$1 \\\n    ${value}`),
      );
    },
  },
};
