/**
 * deployctl/src/ci-variables.ts declares the pipeline's CI/CD variables; doctor
 * checks against it. These tests keep the three other places that name them
 * in step: the header comment and the `variables:` of .gitlab-ci.yml, and the
 * `require` lines of scripts/ci/*.sh (with the jobs that run each script).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../test/support/paths.js';
import { CI_VARIABLES, type CiJob, DEPLOYMENT_JOBS, getCiVariable, type SetBy } from '../src/ci-variables.js';

const CI_FILE = readFileSync(join(REPO_ROOT, '.gitlab-ci.yml'), 'utf8');
const CI = parse(CI_FILE) as Record<string, Record<string, unknown>>;
const SCRIPTS_DIR = join(REPO_ROOT, 'scripts/ci');

const SECTIONS: [string, SetBy][] = [
  ['Settings > CI/CD > Variables', 'settings'],
  ['This file', 'gitlab-ci.yml'],
  ['Rules and matrix', 'rules'],
  ['Earlier jobs', 'earlier-job'],
  ['GitLab itself', 'gitlab'],
  ['Optional, for one run', 'one-run'],
  ['Only the local rehearsal', 'rehearsal'],
];

interface HeaderEntry {
  name: string;
  section: SetBy;
  description: string;
}

/** The variables the header comment lists (`#     NAME   description`), by section. */
function getHeaderEntries(): HeaderEntry[] {
  const header = CI_FILE.slice(0, CI_FILE.search(/^[^#\n]/m)).split('\n');
  const start = header.findIndex((line) => line.startsWith('# Variables, and what sets each'));
  const entries: HeaderEntry[] = [];
  let section: SetBy | undefined;
  let current: HeaderEntry[] = [];
  for (const line of header.slice(start + 1)) {
    const sectionMatch = SECTIONS.find(([prefix]) => line.startsWith(`#   ${prefix}`));
    if (sectionMatch) {
      section = sectionMatch[1];
      current = [];
      continue;
    }
    const entry = /^# {5}(\S.*)$/.exec(line);
    if (entry?.[1] && section) {
      const [head = '', ...rest] = entry[1].split(/\s{2,}/);
      const names = head
        .split(',')
        .map((name) => name.trim().replace(/:.*$/, ''))
        .filter((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
      current = names.map((name) => ({ name, section: section as SetBy, description: rest.join(' ') }));
      entries.push(...current);
    } else if (/^# {6,}\S/.test(line)) {
      for (const item of current) item.description += ` ${line.replace(/^#\s+/, '')}`;
    }
  }
  return entries;
}

/** The kind of a job of .gitlab-ci.yml, from its name. */
function getJobKind(name: string): CiJob {
  const kind = name.replace(/^\./, '').split('-')[0];
  const kinds: Record<string, CiJob> = {
    build: 'build',
    publish: 'publish',
    release: 'release',
    verify: 'verify',
    rollback: 'rollback',
    timeline: 'timeline',
  };
  return kinds[kind ?? ''] ?? 'checks';
}

function readScript(name: string): string {
  return readFileSync(join(SCRIPTS_DIR, name), 'utf8');
}

/** Which job kinds run each scripts/ci script: from .gitlab-ci.yml, then through scripts that call it. */
function getScriptJobs(): Map<string, Set<CiJob>> {
  const jobs = new Map<string, Set<CiJob>>();
  const add = (script: string, kind: CiJob) => {
    const set = jobs.get(script) ?? new Set<CiJob>();
    set.add(kind);
    jobs.set(script, set);
  };
  for (const [name, job] of Object.entries(CI)) {
    if (typeof job !== 'object' || job === null) continue;
    const lines = [job.script, job.before_script].flat().filter((l): l is string => typeof l === 'string');
    for (const line of lines) {
      for (const [, script] of line.matchAll(/scripts\/ci\/([\w-]+\.sh)/g))
        add(script ?? '', getJobKind(name));
    }
  }
  const scripts = readdirSync(SCRIPTS_DIR).filter((file) => file.endsWith('.sh'));
  for (let changed = true; changed; ) {
    changed = false;
    for (const caller of scripts) {
      for (const [, callee] of readScript(caller).matchAll(/bash scripts\/ci\/([\w-]+\.sh)/g)) {
        for (const kind of jobs.get(caller) ?? []) {
          if (!jobs.get(callee ?? '')?.has(kind)) {
            add(callee ?? '', kind);
            changed = true;
          }
        }
      }
    }
  }
  return jobs;
}

/** `require A B` lines of scripts/ci, each with the jobs that run it (lib.sh: the callers of its function). */
function getRequires(): { where: string; names: string[]; jobs: Set<CiJob> }[] {
  const scriptJobs = getScriptJobs();
  const scripts = readdirSync(SCRIPTS_DIR).filter((file) => file.endsWith('.sh') && file !== 'lib.sh');
  const found: { where: string; names: string[]; jobs: Set<CiJob> }[] = [];
  const requireLine = /^\s*require\s+([A-Za-z_0-9 ]+)$/;
  for (const script of scripts) {
    for (const line of readScript(script).split('\n')) {
      const names = requireLine.exec(line)?.[1]?.trim().split(/\s+/);
      if (names) found.push({ where: script, names, jobs: scriptJobs.get(script) ?? new Set() });
    }
  }
  let fn: string | undefined;
  for (const line of readScript('lib.sh').split('\n')) {
    fn = /^(\w+)\(\) \{/.exec(line)?.[1] ?? (line === '}' ? undefined : fn);
    const names = requireLine.exec(line)?.[1]?.trim().split(/\s+/);
    if (!names || !fn || fn === 'require') continue;
    found.push({ where: `lib.sh ${fn}`, names, jobs: getCallerJobs(fn, scripts, scriptJobs) });
  }
  return found;
}

function getCallerJobs(fn: string, scripts: string[], scriptJobs: Map<string, Set<CiJob>>): Set<CiJob> {
  const callers = scripts.filter((script) => new RegExp(`^\\s*${fn}\\b`, 'm').test(readScript(script)));
  return new Set(callers.flatMap((script) => [...(scriptJobs.get(script) ?? [])]));
}

describe('ci-variables.ts ↔ .gitlab-ci.yml ↔ scripts/ci', () => {
  test('names are unique and every variable is needed by a known job kind', () => {
    const names = CI_VARIABLES.map((variable) => variable.name);
    assert.deepEqual(names, [...new Set(names)]);
  });

  test('the header of .gitlab-ci.yml lists exactly the declared variables, each under what sets it', () => {
    const entries = getHeaderEntries();
    assert.ok(entries.length > 30, `parsed ${entries.length} header entries`);
    for (const entry of entries) {
      const declared = getCiVariable(entry.name);
      assert.ok(declared, `${entry.name} is in the header but not in deployctl/src/ci-variables.ts`);
      assert.equal(declared.setBy, entry.section, `${entry.name}: set by`);
    }
    const header = CI_FILE.slice(0, CI_FILE.search(/^[^#\n]/m));
    for (const variable of CI_VARIABLES) {
      assert.match(header, new RegExp(`\\b${variable.name}\\b`), `${variable.name} is not in the header`);
    }
  });

  test('Settings variables: optional, masked and scoped exactly as the header says', () => {
    for (const entry of getHeaderEntries().filter((e) => e.section === 'settings')) {
      const declared = getCiVariable(entry.name)!;
      const text = entry.description;
      assert.equal(!declared.required, /^optional/.test(text), `${entry.name} optional: ${text}`);
      assert.equal(declared.secret, /masked \+ protected/.test(text), `${entry.name} secret: ${text}`);
      assert.equal(declared.environmentScoped, /scoped to/.test(text), `${entry.name} scoped: ${text}`);
    }
  });

  test('variables: of .gitlab-ci.yml (top level, jobs, rules, matrix) are declared as set by that file or the rules', () => {
    const seen = new Map<string, SetBy[]>();
    const add = (vars: unknown, allowed: SetBy[]) => {
      for (const name of Object.keys((vars as Record<string, unknown>) ?? {})) seen.set(name, allowed);
    };
    add(CI.variables, ['gitlab-ci.yml']);
    for (const [name, job] of Object.entries(CI)) {
      if (name === 'variables' || typeof job !== 'object' || job === null) continue;
      add(job.variables, ['gitlab-ci.yml', 'rules']);
      for (const rule of (job.rules as { variables?: unknown }[] | undefined) ?? [])
        add(rule.variables, ['rules']);
      const matrix = (job.parallel as { matrix?: Record<string, unknown>[] } | undefined)?.matrix ?? [];
      for (const entry of matrix) add(entry, ['rules']);
    }
    for (const [name, allowed] of seen) {
      const declared = getCiVariable(name);
      assert.ok(declared, `${name} is set in .gitlab-ci.yml but not declared`);
      assert.ok(allowed.includes(declared.setBy), `${name}: declared as set by ${declared.setBy}`);
    }
    for (const variable of CI_VARIABLES.filter((v) => v.setBy === 'gitlab-ci.yml')) {
      assert.ok(
        seen.has(variable.name),
        `${variable.name} is declared as set by .gitlab-ci.yml, which does not`,
      );
    }
  });

  test('every `require` of scripts/ci/*.sh names a declared, required variable of the jobs that run it', () => {
    const requires = getRequires();
    assert.ok(requires.some((r) => r.where === 'verify.sh'));
    for (const { where, names, jobs } of requires) {
      assert.ok(jobs.size > 0, `${where}: no job of .gitlab-ci.yml runs it`);
      for (const name of names) {
        const declared = getCiVariable(name);
        assert.ok(declared, `${where} requires ${name}, which is not declared`);
        assert.ok(declared.required, `${where} requires ${name}, declared optional`);
        for (const job of jobs)
          assert.ok(declared.jobs.includes(job), `${name} is not declared for ${job} (${where})`);
      }
    }
  });

  test('GITOPS_PUSH_TOKEN: needed by exactly the jobs that push (setup_git_push), all of them deployment jobs', () => {
    const scripts = readdirSync(SCRIPTS_DIR).filter((file) => file.endsWith('.sh') && file !== 'lib.sh');
    const pushing = getCallerJobs('setup_git_push', scripts, getScriptJobs());
    assert.deepEqual([...pushing].sort(), [...getCiVariable('GITOPS_PUSH_TOKEN')!.jobs].sort());
    for (const variable of CI_VARIABLES.filter((v) => v.environmentScoped)) {
      for (const job of variable.jobs) assert.ok(DEPLOYMENT_JOBS.includes(job), `${variable.name}: ${job}`);
    }
  });
});
