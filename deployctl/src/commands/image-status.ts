/**
 * `image-status`: does the registry already hold `<repository>:<tag>`, and was
 * it built from this commit (its `org.opencontainers.image.revision` label)?
 * The build and publish jobs ask it first, so a commit is built and pushed
 * once per repository (issue 11, item 5):
 *
 * - `absent`: build it, push it (exit 0);
 * - `present-same-revision`: reuse it, build and push nothing (exit 0);
 * - `present-other-revision`: another commit's image holds this commit's tag;
 *   the job must stop before anything is pushed (exit 8, conflict);
 * - a registry that cannot answer is an error (exit 3), never "absent".
 */
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.js';
import { getImageStatus, type ImageStatusResult } from '../registry.js';
import { verifySha } from '../validate.js';
import type { Emit } from './output.js';

export interface ImageStatusOptions {
  image: string;
  revision: string;
  /** Where the registry credentials come from (default: process.env). */
  vars?: NodeJS.ProcessEnv;
}

export async function imageStatus(options: ImageStatusOptions): Promise<ImageStatusResult> {
  const revision = verifySha(options.revision, '--revision');
  return getImageStatus(options.image, revision, undefined, options.vars ?? process.env);
}

/** Exit 0 for the two states a job goes on from, 8 (conflict) for another revision under the tag. */
export function getImageStatusExitCode(result: ImageStatusResult): number {
  return result.status === 'present-other-revision' ? EXIT_CODES.conflict : EXIT_CODES.ok;
}

export function formatImageStatus(result: ImageStatusResult): string {
  const at = result.digest ? ` (${result.digest})` : '';
  switch (result.status) {
    case 'absent':
      return `absent: ${result.image} is not in ${result.registry}; build and push it\n`;
    case 'present-same-revision':
      return `present-same-revision: ${result.image}${at} was built from ${result.revision}; reuse it, build and push nothing\n`;
    case 'present-other-revision':
      return `present-other-revision: refused: ${result.image}${at} already exists, built from revision ${result.foundRevision ?? 'none (no org.opencontainers.image.revision label)'}, not ${result.revision}. Nothing was built or pushed, and nothing may deploy it. Commit tags are immutable: find out who pushed it (ECR: CloudTrail, event PutImage), delete the tag (aws ecr batch-delete-image --repository-name <repository> --image-ids imageTag=${result.image.slice(result.image.lastIndexOf(':') + 1)}), then re-run the pipeline\n`;
  }
}

/** A GitLab dotenv report for the jobs that need this one. */
export function formatImageStatusDotenv(result: ImageStatusResult): string {
  return `IMAGE_STATUS=${result.status}\nIMAGE_STATUS_DIGEST=${result.digest ?? ''}\n`;
}

export function imageStatusCommand(emit: Emit): Command {
  return new Command('image-status')
    .description(
      'Whether the registry holds <repository>:<tag> built from --revision: absent, present-same-revision (exit 0), present-other-revision (exit 8); exit 3 when the registry cannot answer',
    )
    .requiredOption(
      '--image <repository:tag>',
      'the image, e.g. <registry>/mlops-inference-service:<commit sha>',
    )
    .requiredOption('--revision <sha>', 'the full commit SHA it must have been built from')
    .option('--dotenv <path>', 'write IMAGE_STATUS and IMAGE_STATUS_DIGEST (GitLab dotenv report)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { image: string; revision: string; dotenv?: string }) => {
      const result = await imageStatus(opts);
      if (opts.dotenv) await writeFile(opts.dotenv, formatImageStatusDotenv(result));
      emit({ text: formatImageStatus(result), data: result, exitCode: getImageStatusExitCode(result) });
    });
}
