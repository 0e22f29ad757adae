/**
 * The release commit message (docs/contracts.md "Releases in Git").
 *
 * No `[skip ci]` marker: it travels with the commit, so when `develop` is
 * fast-forwarded into the default branch and its tip is a `release(dev): …`
 * commit, GitLab skipped the prod pipeline as well (issue 17). The write-back
 * push carries GitLab's `ci.skip` push option instead (write-back.ts), which
 * covers only that one push, and the workflow rules of .gitlab-ci.yml refuse a
 * pipeline for a release commit of the branch's own environment.
 */
export const RELEASE_TRAILERS = {
  commit: 'Release-Commit',
  image: 'Release-Image',
  pipeline: 'Release-Pipeline',
  rollback: 'Release-Rollback',
  rollbackFrom: 'Release-Rollback-From',
} as const;

/**
 * `Release-Commit` of the rollback that returns an env to the state before its
 * first release (issue 17): image.tag emptied, so the chart runs no pods
 * (`image.waitForRelease`). A failed first release has nothing else to go back to.
 */
export const NO_RELEASE = 'none';

export interface ReleaseMessageInput {
  env: string;
  commit: string;
  image: string;
  pipeline: string;
  rollbackFrom?: string | undefined;
}

export interface ParsedRelease {
  env: string;
  commit: string;
  image: string | undefined;
  pipeline: string | undefined;
  rollback: boolean;
  rollbackFrom: string | undefined;
}

export function getReleaseSubjectPattern(env: string): string {
  // A basic regexp for `git log --grep`; parentheses are literal in BRE.
  return `^release(${env}): `;
}

export function formatReleaseMessage(input: ReleaseMessageInput): string {
  const short = input.commit.slice(0, 12);
  const toNothing = input.commit === NO_RELEASE;
  const subject =
    input.rollbackFrom === undefined
      ? `release(${input.env}): deploy ${short}`
      : `release(${input.env}): roll back to ${toNothing ? 'no release' : short} from ${input.rollbackFrom.slice(0, 12)}`;
  const body =
    input.rollbackFrom === undefined
      ? `Sets image.tag in helm/values-${input.env}.yaml to ${input.commit}; Argo CD syncs this commit.`
      : toNothing
        ? `Explicit rollback: ${input.env} had no earlier release, so image.tag in helm/values-${input.env}.yaml is emptied again and the chart runs no pods until the next release. Argo CD auto-sync stays on; Git stays the truth.`
        : `Explicit rollback: moves ${input.env} back to ${input.commit}. Argo CD auto-sync stays on; Git stays the truth.`;
  const trailers = [
    `${RELEASE_TRAILERS.commit}: ${input.commit}`,
    `${RELEASE_TRAILERS.image}: ${input.image}`,
    `${RELEASE_TRAILERS.pipeline}: ${input.pipeline}`,
  ];
  if (input.rollbackFrom !== undefined) {
    trailers.push(
      `${RELEASE_TRAILERS.rollback}: true`,
      `${RELEASE_TRAILERS.rollbackFrom}: ${input.rollbackFrom}`,
    );
  }
  return `${subject}\n\n${body}\n\n${trailers.join('\n')}\n`;
}

/** Parses a release commit message; undefined for any other commit. */
export function parseReleaseMessage(message: string): ParsedRelease | undefined {
  const subject = /^release\(([^)]+)\): /.exec(message);
  if (!subject?.[1]) return undefined;
  const trailers = new Map<string, string>();
  for (const line of message.split('\n')) {
    const match = /^([A-Za-z-]+): (.+)$/.exec(line.trim());
    if (match?.[1] && match[2]) trailers.set(match[1], match[2].trim());
  }
  const commit = trailers.get(RELEASE_TRAILERS.commit);
  if (commit === undefined) return undefined;
  return {
    env: subject[1],
    commit,
    image: trailers.get(RELEASE_TRAILERS.image),
    pipeline: trailers.get(RELEASE_TRAILERS.pipeline),
    rollback: trailers.get(RELEASE_TRAILERS.rollback) === 'true',
    rollbackFrom: trailers.get(RELEASE_TRAILERS.rollbackFrom),
  };
}
