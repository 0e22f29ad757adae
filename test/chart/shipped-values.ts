// The environments' values files in their state before the first release.
// After a release, the pipeline's own commit (deployctl release) has set
// image.tag and image.digest in them, and every later pipeline's chart checks
// run on that commit: the tests of the bootstrap state read the files with
// exactly those release-managed lines reset to "" by deployctl's own editor
// (every other line as committed), and releaseState() checks that the lines
// hold either the bootstrap state or a release.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getImageValues, setImageValues } from '../../deployctl/src/values-file.js';
import { CHART_DIR } from './helm.js';

let dir: string | undefined;

/** A copy of helm/<file> with image.tag and image.digest as before the first release (""). */
export function beforeFirstRelease(file: string): string {
  const source = path.join(CHART_DIR, file);
  const text = readFileSync(source, 'utf8');
  dir ??= mkdtempSync(path.join(tmpdir(), 'chart-bootstrap-values-'));
  mkdirSync(dir, { recursive: true });
  const copy = path.join(dir, file);
  writeFileSync(copy, setImageValues(text, source, { tag: '', digest: '' }));
  return copy;
}

/** What the release-managed lines of helm/<file> hold now. */
export function releaseState(file: string): { tag: string; digest: string } {
  const source = path.join(CHART_DIR, file);
  const { tag, digest } = getImageValues(readFileSync(source, 'utf8'), source);
  return { tag: tag ?? '', digest: digest ?? '' };
}
