/**
 * The timeline's events file: one JSON object per line, appended by the jobs
 * (release, wait, verify record themselves; others call `timeline --record`)
 * and passed between GitLab jobs as an artifact.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DeployctlError } from './exit-codes.js';

export interface TimelineEvent {
  event: string;
  at: string;
  data?: Record<string, string>;
}

export function getEventsFile(explicit?: string): string | undefined {
  return explicit || process.env.DEPLOYCTL_EVENTS_FILE || undefined;
}

export async function appendEvent(file: string, event: TimelineEvent): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(event)}\n`);
}

export async function readEvents(file: string): Promise<TimelineEvent[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DeployctlError('input', `cannot read events file ${file}`, { cause });
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      try {
        const parsed = JSON.parse(line) as TimelineEvent;
        if (typeof parsed.event !== 'string' || Number.isNaN(Date.parse(parsed.at))) throw new Error('shape');
        return parsed;
      } catch (cause) {
        throw new DeployctlError(
          'input',
          `events file ${file} line ${index + 1} is not {"event": "...", "at": "<ISO time>"}: ${line.slice(0, 80)}`,
          { cause },
        );
      }
    });
}
