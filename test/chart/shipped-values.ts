// The environments' values files in their state before the first release.
// After a release, the pipeline's own commit (deployctl release) has set
// image.tag, image.digest and image.repository (IMAGE_REPOSITORY: the project's
// own ECR) in them, and every later pipeline's chart checks run on that commit:
// the tests of the bootstrap state read the files with exactly those
// release-managed lines reset by deployctl's own editor (tag and digest "", the
// repository the example account's, which the golden renders name; every other
// line as committed), and releaseState() checks that tag and digest hold either
// the bootstrap state or a release. Without the repository reset, the first
// release into a real account failed every later pipeline's chart checks (found
// by the cold rehearsal, whose registry is 127.0.0.1:<port>).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getImageValues, setImageValues } from '../../deployctl/src/values-file.js';
import { CHART_DIR } from './helm.js';

let dir: string | undefined;

/** The repository each environment's file names as committed here (the example account 123456789012). */
export const EXAMPLE_REPOSITORY: Readonly<Record<string, string>> = {
  'values-prod.yaml': '123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service',
  // dev's own repository (issue 13): develop pipelines cannot write what prod pulls.
  'values-dev.yaml': '123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service-dev',
};

/** `text` of helm/<file> with its image lines as before the first release into the example account. */
export function bootstrapText(text: string, file: string): string {
  const repository = EXAMPLE_REPOSITORY[file];
  if (!repository) throw new Error(`no example repository for helm/${file} in test/chart/shipped-values.ts`);
  return setImageValues(text, file, { tag: '', digest: '', repository });
}

/** A copy of helm/<file> as before the first release into the example account (bootstrapText). */
export function beforeFirstRelease(file: string): string {
  const text = readFileSync(path.join(CHART_DIR, file), 'utf8');
  dir ??= mkdtempSync(path.join(tmpdir(), 'chart-bootstrap-values-'));
  mkdirSync(dir, { recursive: true });
  const copy = path.join(dir, file);
  writeFileSync(copy, bootstrapText(text, file));
  return copy;
}

/** What the release-managed lines of helm/<file> hold now. */
export function releaseState(file: string): { tag: string; digest: string } {
  const source = path.join(CHART_DIR, file);
  const { tag, digest } = getImageValues(readFileSync(source, 'utf8'), source);
  return { tag: tag ?? '', digest: digest ?? '' };
}
