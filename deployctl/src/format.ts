/** Pure renderers: command results → the text a CI log shows. `--json` prints the data itself. */
import type { DoctorResult } from './commands/doctor.js';
import type { StatusResult } from './commands/status.js';
import type { RecordResult, Timeline } from './commands/timeline.js';
import type { VerifyResult } from './commands/verify.js';
import type { VerifyReleaseResult } from './commands/verify-release.js';
import type { WaitResult } from './commands/wait.js';
import { formatState } from './commands/wait.js';
import type { ReleaseResult } from './commands/write-back.js';
import { NO_RELEASE } from './release-message.js';

export function formatJson(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

export function formatRelease(result: ReleaseResult): string {
  const what = result.kind === 'rollback' ? 'rollback' : 'release';
  const lines: string[] = [];
  switch (result.status) {
    case 'released':
      lines.push(
        `${what}: ${result.env} → ${result.commit} pushed to ${result.branch} as ${result.releaseCommit} (attempt ${result.attempts})`,
      );
      break;
    case 'unchanged':
      lines.push(`${what}: nothing to do, ${result.reason}`);
      break;
    case 'skipped':
      lines.push(result.reason);
      break;
    case 'dry-run':
      lines.push(`${what} (dry run, nothing written): would ${result.reason} on ${result.branch}`);
      lines.push(
        '',
        'commit message:',
        result.plannedMessage ?? '',
        `${result.valuesPath}:`,
        result.plannedValues ?? '',
      );
      break;
  }
  if (result.status !== 'skipped' && result.status !== 'unchanged') lines.push(`image: ${result.image}`);
  return `${lines.join('\n')}\n`;
}

/**
 * A GitLab dotenv report (`artifacts: reports: dotenv`): later jobs get the
 * outcome as variables, e.g. skip `wait`/`verify` when the release was skipped
 * and wait for exactly the release commit.
 */
export function formatReleaseDotenv(result: ReleaseResult): string {
  return [
    `DEPLOYCTL_RELEASE_STATUS=${result.status}`,
    `DEPLOYCTL_RELEASE_COMMIT=${result.releaseCommit ?? ''}`,
    `DEPLOYCTL_DEPLOYED_COMMIT=${result.status === 'skipped' ? (result.previousCommit ?? '') : result.commit}`,
    '',
  ].join('\n');
}

export function formatWait(result: WaitResult): string {
  return `synced: ${result.app} is Synced and Healthy at ${result.syncedRevision} (wanted ${result.revision}, finished ${result.syncedAt ?? '?'}, ${result.polls} polls)\n  ${formatState(result.state)}\n`;
}

export function formatVerify(result: VerifyResult): string {
  const rows = result.instances.map(
    (i) => `| ${i.instanceId} | ${i.commit} | ${i.modelVersion ?? '?'} | ${i.responses} |`,
  );
  const golden = result.golden.map(
    (g) => `| ${g.input.slice(0, 50)} | ${g.expected} | ${g.got ?? g.error} |`,
  );
  return [
    `verified: ${result.instances.length} instances behind ${result.url} run ${result.commit}; ${result.golden.length} golden examples right (live at ${result.liveAt})`,
    '',
    '| instance | commit | model | answers |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    '| golden input | expected | got |',
    '| --- | --- | --- |',
    ...golden,
    '',
  ].join('\n');
}

export function formatVerifyRelease(result: VerifyReleaseResult): string {
  const lines: string[] = [];
  if (result.status === 'superseded') return `${result.reason}\n`;
  if (result.waitSkipped) lines.push(`note: ${result.waitSkipped}`);
  if (result.wait) lines.push(formatWait(result.wait).trimEnd());
  if (result.verify) lines.push(formatVerify(result.verify).trimEnd());
  if (result.failure) lines.push(`verify failed: ${result.failure.message}`);
  if (result.rollback) lines.push(formatRelease(result.rollback).trimEnd());
  if (result.rollbackFailure) lines.push(`rollback failed: ${result.rollbackFailure.message}`);
  if (result.status === 'failed') lines.push(`not rolled back: ${result.reason}`);
  return `${lines.join('\n')}\n`;
}

function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '—';
  if (Math.abs(seconds) < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
}

export function formatTimelineMarkdown(timeline: Timeline): string {
  const rows = timeline.steps.map(
    (s) => `| ${s.label} | ${s.at ?? 'not recorded'} | ${formatSeconds(s.sincePreviousS)} | ${s.source} |`,
  );
  const others = timeline.otherEvents.map((e) => `- ${e.event} at ${e.at}`);
  return [
    `## Push-to-live timeline${timeline.commit ? ` of ${timeline.commit.slice(0, 12)}` : ''}`,
    '',
    '| step | at | since previous | source |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `**Lead time (commit → all replicas on the new version): ${formatSeconds(timeline.leadTimeS)}**`,
    ...(others.length > 0 ? ['', 'Other events:', ...others] : []),
    '',
  ].join('\n');
}

export function formatRecord(result: RecordResult): string {
  const verb = result.status === 'dry-run' ? 'would record' : 'recorded';
  return `${verb} ${result.event.event} at ${result.event.at} in ${result.file}\n`;
}

export function formatDoctor(result: DoctorResult): string {
  const lines = result.checks.map((c) =>
    c.status === 'pass' ? `PASS ${c.name}: ${c.detail}` : `FAIL ${c.name}: ${c.detail}\n     fix: ${c.fix}`,
  );
  const failed = result.checks.filter((c) => c.status === 'fail').length;
  lines.unshift(`doctor (${result.scope}, env ${result.env})`);
  if (result.notChecked.length > 0)
    lines.push('', 'not checked here:', ...result.notChecked.map((n) => `  - ${n}`));
  lines.push('', failed === 0 ? 'all checks passed' : `${failed} of ${result.checks.length} checks failed`);
  return `${lines.join('\n')}\n`;
}

export function formatStatus(result: StatusResult): string {
  const lines: string[] = [];
  for (const env of result.environments) {
    const { image } = env;
    const runs = env.waitingForFirstRelease
      ? 'nothing: waiting for the first release (no image.tag, 0 replicas)'
      : image.tag || '(no release yet)';
    lines.push(
      `${env.env}: runs ${runs} (${env.valuesPath} on ${env.branch} at ${env.tip.slice(0, 12)})`,
      `  image: ${image.repository ?? '<image.repository>'}:${image.tag ?? ''}${image.digest ? `@${image.digest}` : ''}`,
      `  replicas that must answer: ${env.expectedReplicas}`,
    );
    if (env.argocd?.state) {
      const state = env.argocd.state;
      lines.push(
        `  Argo CD ${env.argocd.app}: ${state.syncStatus} at ${state.revision ?? '?'}, ${state.health}`,
      );
    } else if (env.argocd) {
      lines.push(`  Argo CD ${env.argocd.app}: not reachable: ${env.argocd.error}`);
    }
    lines.push(env.releases.length > 0 ? '  releases (newest first):' : '  no releases yet');
    for (const release of env.releases) {
      const what = release.rollback
        ? `rollback to ${release.commit === NO_RELEASE ? 'no release' : release.commit} from ${release.rollbackFrom ?? '?'}`
        : `release of ${release.commit}`;
      lines.push(
        `    ${release.releaseCommit.slice(0, 12)} ${release.committedAt} ${what} (${release.pipeline ?? 'no pipeline'})`,
      );
    }
  }
  for (const env of result.missing) lines.push(`${env.env}: no branch \`${env.branch}\` on the remote yet`);
  return `${lines.join('\n')}\n`;
}
