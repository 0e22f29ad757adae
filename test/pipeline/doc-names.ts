/**
 * The names the runbook docs use, extracted from Markdown, and the names that
 * exist in the code, so test/pipeline/docs.test.ts can fail on a doc that
 * names something the code does not have (issue 17, "docs that are tests").
 *
 * Extraction reads only code: inline code spans and fenced blocks. Prose is
 * never parsed for names, which keeps the extraction free of false positives;
 * a name worth checking is a name the docs put in backticks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/paths.js';

/** One name a doc uses, with where (file:line) for the failure message. */
export interface DocName {
  kind:
    | 'variable'
    | 'path'
    | 'npm-script'
    | 'test-suite'
    | 'deployctl-command'
    | 'deployctl-flag'
    | 'script-flag'
    | 'cdk-context'
    | 'stack-output'
    | 'ecr-repository'
    | 'argocd-project';
  name: string;
  /** For a flag, its command (`release`) or script path; for an output, the stack the doc says it is in. */
  scope?: string;
  where: string;
}

/** The runbook docs: README, docs/*.md, infra/README.md. */
export function getDocFiles(): string[] {
  const docs = readdirSync(join(REPO_ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => join('docs', file));
  return ['README.md', ...docs.sort(), join('infra', 'README.md')];
}

interface CodeSnippet {
  text: string;
  line: number;
  /** A fenced block (one command per line) or an inline span. */
  block: boolean;
}

/** The inline code spans and fenced blocks of a Markdown text, with their line numbers. */
export function getCodeSnippets(markdown: string): CodeSnippet[] {
  const snippets: CodeSnippet[] = [];
  const lines = markdown.split('\n');
  let fence: { marker: string; start: number; body: string[] } | undefined;
  lines.forEach((line, index) => {
    const opening = /^\s*(```+|~~~+)/.exec(line);
    if (fence) {
      if (opening && line.trim().startsWith(fence.marker)) {
        snippets.push({ text: fence.body.join('\n'), line: fence.start, block: true });
        fence = undefined;
      } else fence.body.push(line);
      return;
    }
    if (opening?.[1]) {
      fence = { marker: opening[1], start: index + 2, body: [] };
      return;
    }
    // Inline spans: `x` or ``x `y` z``.
    for (const match of line.matchAll(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g)) {
      snippets.push({ text: match[2]!.trim(), line: index + 1, block: false });
    }
  });
  return snippets;
}

/** ALL_CAPS with at least one underscore: `GITOPS_PUSH_TOKEN`, not `CMD` or `HTTP`. */
const VARIABLE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
/** `$NAME` / `${NAME}` in a command. */
const VARIABLE_REFERENCE = /\$\{?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g;
const TOP_DIRS = [
  'scripts',
  'deployctl',
  'infra',
  'service',
  'helm',
  'argocd',
  'test',
  'training',
  'packages',
  'model',
  'tools',
  'docs',
];
/** A repository path: a top-level folder, then path characters; no placeholders. */
const PATH = new RegExp(`(?:^|[\\s(=:'"])((?:${TOP_DIRS.join('|')})/[\\w./-]*[\\w])(?=$|[\\s),:;'"])`, 'g');
/** A deployctl command line: `deployctl cmd ...`, `npx [--no-install] deployctl cmd ...`. */
const DEPLOYCTL = /^(?:npx\s+(?:--no-install\s+)?)?deployctl\s+([a-z][a-z-]*)(.*)$/;
/** An ECR repository of this project (the registry stack's names, or a wrong one). */
const ECR_REPOSITORY = /(?:^|[\s/"'`])(mlops-inference-service(?:-[a-z]+)*(?:\/[a-z-]+)*)/g;

/**
 * Paths the docs name on purpose although they are not in the repository, each with why.
 * Build outputs (`dist/`, `node_modules/`) are skipped by rule.
 */
export const NOT_IN_REPOSITORY: Readonly<Record<string, string>> = {
  'service/src/.env': 'a decoy secret the image test plants in the build context (docs/image.md)',
  'service/src/secret.test.ts': 'a decoy the image test plants',
  'model/credentials.json': 'a decoy the image test plants',
};

/** Splits a snippet into shell-like command lines (continuations joined). */
function commandLines(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split(/\n|&&|\|\||;|\|/)
    .map((line) => line.replace(/\s#.*$/, '').trim())
    .filter(Boolean);
}

/** Every checkable name in one Markdown text. `file` is its path from the repository root. */
export function extractNames(markdown: string, file: string): DocName[] {
  const names: DocName[] = [];
  const add = (kind: DocName['kind'], name: string, line: number, scope?: string) =>
    names.push({ kind, name, where: `${file}:${line}`, ...(scope ? { scope } : {}) });
  const snippets = getCodeSnippets(markdown);
  const outputsStack = getOutputStackScopes(markdown);
  // Shell variables the doc's own commands assign (`ARGOCD_VERSION=$(...)`) are the doc's, not the code's.
  const assigned = new Set(
    snippets.flatMap((snippet) =>
      [...snippet.text.matchAll(/(?:^|\n)\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=/g)].map((m) => m[1]!),
    ),
  );

  for (const snippet of snippets) {
    const { text, line } = snippet;
    // Variables: a span that is exactly a name (or NAME=value), and $NAME references in commands.
    const bare = /^([A-Z][A-Z0-9_]*)(?:=\S*)?$/.exec(text);
    if (!snippet.block && bare?.[1] && VARIABLE.test(bare[1]) && !assigned.has(bare[1])) {
      add('variable', bare[1], line);
    }
    for (const match of text.matchAll(VARIABLE_REFERENCE)) {
      if (!assigned.has(match[1]!)) add('variable', match[1]!, line);
    }

    for (const match of text.matchAll(PATH)) {
      const path = match[1]!;
      if (/[<>*{}$]|\.\.\./.test(path) || /(^|\/)(dist|node_modules)(\/|$)/.test(path)) continue;
      if (path in NOT_IN_REPOSITORY) continue;
      add('path', path, line);
    }
    for (const match of text.matchAll(ECR_REPOSITORY)) add('ecr-repository', match[1]!, line);

    for (const command of commandLines(text)) {
      // npm scripts: `npm run X [-w W]`, `npm test -w W`, `npm test -- SUITE`.
      const npm = /^npm\s+(run|test|start)\b(.*)$/.exec(command);
      if (npm) {
        const rest = npm[2]!.trim();
        const workspace = /(?:^|\s)(?:-w|--workspace)[\s=](\S+)/.exec(rest)?.[1];
        if (npm[1] === 'run') {
          const script = /^([\w:.-]+)/.exec(rest)?.[1];
          if (script) add('npm-script', script, line, workspace ?? '.');
        } else {
          add('npm-script', npm[1]!, line, workspace ?? '.');
          const suite = /(?:^|\s)--\s+([a-z][\w-]*)/.exec(rest)?.[1];
          if (suite && !workspace) add('test-suite', suite, line);
        }
      }
      // Flags of a repository script: `bash scripts/x.sh --flag`, `scripts/x.sh --flag`.
      const script = /^(?:bash\s+)?((?:scripts|tools)\/[\w./-]+\.sh)\s+(.*)$/.exec(command);
      if (script) {
        for (const flag of script[2]!.matchAll(/(?:^|\s)(--[a-z][\w-]*)/g))
          add('script-flag', flag[1]!, line, script[1]);
      }
      // CDK context: `-c key=value` (`-c key=value` itself is the syntax, not a key).
      for (const context of command.matchAll(/(?:^|[\s"'])-c\s+([A-Za-z]\w*)=(\S*)/g)) {
        if (context[2] !== 'value') add('cdk-context', context[1]!, line);
      }
      // Argo CD AppProjects: `argocd proj <verb> [<verb>] <project>`.
      const proj = /^argocd\s+proj\s+(?:role\s+[a-z-]+|[a-z-]+)\s+([a-z0-9][a-z0-9-]*)/.exec(command);
      if (proj?.[1]) add('argocd-project', proj[1], line);
      const deployctl = DEPLOYCTL.exec(command);
      if (deployctl) {
        add('deployctl-command', deployctl[1]!, line);
        for (const flag of deployctl[2]!.matchAll(/(?:^|\s)(--[a-z][\w-]*)/g)) {
          add('deployctl-flag', flag[1]!, line, deployctl[1]);
        }
      }
    }
  }

  // Stack outputs: `output \`Name\``, and the stack a section says they come from.
  markdown.split('\n').forEach((text, index) => {
    for (const match of text.matchAll(/\boutputs?\s+((?:`[A-Z][A-Za-z0-9]+`(?:\s*(?:\/|,|and|or)\s*)?)+)/g)) {
      for (const name of match[1]!.matchAll(/`([A-Z][A-Za-z0-9]+)`/g)) {
        add('stack-output', name[1]!, index + 1, outputsStack(index));
      }
    }
    // Rows of an outputs table: | `Stack` | `Output` / `Output` | ... |
    const row = /^\|\s*`(Mlops[A-Za-z]+)`\s*\|([^|]+)\|/.exec(text);
    if (row) {
      for (const name of row[2]!.matchAll(/`([A-Z][A-Za-z0-9]+)`/g))
        add('stack-output', name[1]!, index + 1, row[1]);
    }
    // Rows of the settings table: | `key` | default | meaning |, and `a` + `b` / `a` / `b`.
    if (/^\|\s*`[a-z][A-Za-z]+`/.test(text) && isSettingsTableRow(markdown, index)) {
      const first = text.split('|')[1]!;
      for (const name of first.matchAll(/`([a-z][A-Za-z]+)`/g)) add('cdk-context', name[1]!, index + 1);
    }
  });
  return names;
}

/** Whether line `index` is in a table whose header is `| Setting | Default | Meaning |`. */
function isSettingsTableRow(markdown: string, index: number): boolean {
  const lines = markdown.split('\n');
  for (let i = index; i >= 0 && lines[i]!.startsWith('|'); i--) {
    if (/^\|\s*Setting\s*\|\s*Default\s*\|/.test(lines[i]!)) return true;
  }
  return false;
}

/**
 * For a line index: the stack its section says the outputs come from, when the
 * section (between headings) names exactly one `--stack-name MlopsX`.
 */
function getOutputStackScopes(markdown: string): (index: number) => string | undefined {
  const lines = markdown.split('\n');
  const sectionOf: number[] = [];
  const stacksOf = new Map<number, Set<string>>();
  let section = 0;
  lines.forEach((line, index) => {
    if (/^#{1,6}\s/.test(line)) section = index;
    sectionOf[index] = section;
    for (const match of line.matchAll(/--stack-name\s+(Mlops[A-Za-z]+)/g)) {
      const stacks = stacksOf.get(section) ?? new Set<string>();
      stacks.add(match[1]!);
      stacksOf.set(section, stacks);
    }
  });
  return (index) => {
    const stacks = stacksOf.get(sectionOf[index] ?? -1);
    return stacks?.size === 1 ? [...stacks][0] : undefined;
  };
}

// ------------------------------------------------------------ what the code has

/** Tracked files that are code, not docs (git ls-files), for "does this name exist". */
function getCodeCorpus(): string {
  const files = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(
      (file) =>
        file &&
        !file.endsWith('.md') &&
        !file.startsWith('test/pipeline/doc') &&
        /\.(ts|js|mjs|sh|ya?ml|json|tpl|txt|toml)$|Dockerfile|\.gitlab-ci\.yml$/.test(file) &&
        !file.endsWith('package-lock.json'),
    );
  return files
    .filter((file) => existsSync(join(REPO_ROOT, file)))
    .map((file) => readFileSync(join(REPO_ROOT, file), 'utf8'))
    .join('\n');
}

/**
 * Names from outside this repository that the docs may use, each with why:
 * they exist in the tool that reads them, not in this code.
 */
export const EXTERNAL_VARIABLES: Readonly<Record<string, string>> = {
  AWS_PROFILE: 'the AWS CLI and CDK read it',
  CI_JOB_TOKEN: "GitLab's predefined job token",
  CDK_DEFAULT_ACCOUNT: 'the CDK CLI sets it from the credentials',
  CDK_DEFAULT_REGION: 'the CDK CLI sets it from the credentials',
};

export interface KnownNames {
  variables: Set<string>;
  npmScripts: Map<string, Set<string>>;
  suites: Set<string>;
  deployctl: Map<string, Set<string>>;
  contextKeys: Set<string>;
  outputs: Map<string, string>;
  /** The registry stack's ECR repositories (default names) and their caches. */
  repositories: Set<string>;
  /** The AppProjects of argocd/*.yaml. */
  projects: Set<string>;
}

/** The parts of a commander program this walks (deployctl has its own commander copy). */
interface Program {
  commands: readonly { name(): string; options: readonly { long?: string | undefined }[] }[];
}

/** The deployctl program, walked: command → its long flags (with the program's own). */
export function getDeployctlFlags(program: Program): Map<string, Set<string>> {
  const commands = new Map<string, Set<string>>();
  const global = ['--help', '--version'];
  for (const command of program.commands) {
    const flags = new Set([
      ...global,
      ...command.options.flatMap((option) => (option.long ? [option.long] : [])),
    ]);
    // `--no-x` options register as `--no-x`; commander accepts `--x` only if declared too.
    commands.set(command.name(), flags);
  }
  return commands;
}

/** Output ids of each stack, from its source: `new cdk.CfnOutput(this, 'Id'` or `${prefix}Id` (Prod/Dev). */
export function getStackOutputs(): Map<string, string> {
  const outputs = new Map<string, string>();
  const stacks: Array<[string, string]> = [
    ['MlopsRegistry', 'infra/lib/registry-stack.ts'],
    ['MlopsCluster', 'infra/lib/cluster-stack.ts'],
  ];
  for (const [stack, file] of stacks) {
    const source = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const match of source.matchAll(/new cdk\.CfnOutput\(\s*this,\s*['`]([^'`]+)['`]/g)) {
      const id = match[1]!;
      const prefix = /\$\{prefix\}/;
      const ids = prefix.test(id) ? ['Prod', 'Dev'].map((p) => id.replace(prefix, p)) : [id];
      for (const name of ids) outputs.set(name, stack);
    }
  }
  return outputs;
}

/**
 * infra/lib/config.ts's setting keys and defaults, read by running it: infra is a
 * CommonJS workspace with its own compiler settings, so it is loaded in a child process
 * instead of being imported into this (ESM) test's type-check.
 */
function getInfraConfig(): {
  CONTEXT_KEYS: string[];
  DEFAULTS: { prodEcrRepositoryName: string; devEcrRepositoryName: string };
  CACHE_SUFFIX: string;
} {
  const script =
    "const m = require('./lib/config.ts'); process.stdout.write(JSON.stringify({ CONTEXT_KEYS: m.CONTEXT_KEYS, DEFAULTS: m.DEFAULTS, CACHE_SUFFIX: m.CACHE_SUFFIX }))";
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: join(REPO_ROOT, 'infra'),
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/** The AppProject names in argocd/*.yaml. */
function getAppProjects(): Set<string> {
  const projects = new Set<string>();
  for (const file of readdirSync(join(REPO_ROOT, 'argocd')).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(REPO_ROOT, 'argocd', file), 'utf8'))) {
      const manifest = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
      if (manifest?.kind === 'AppProject' && manifest.metadata?.name) projects.add(manifest.metadata.name);
    }
  }
  return projects;
}

export async function getKnownNames(): Promise<KnownNames> {
  const { CI_VARIABLES } = await import('../../deployctl/src/ci-variables.js');
  const { buildProgram } = await import('../../deployctl/src/cli.js');
  const { SUITES } = await import('../../scripts/test/suites.js');
  const { CONTEXT_KEYS, DEFAULTS, CACHE_SUFFIX } = getInfraConfig();
  const corpus = getCodeCorpus();
  const variables = new Set<string>([...CI_VARIABLES.map((v) => v.name), ...Object.keys(EXTERNAL_VARIABLES)]);
  for (const match of corpus.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)) variables.add(match[0]);

  const npmScripts = new Map<string, Set<string>>();
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
    workspaces: string[];
  };
  npmScripts.set('.', new Set(Object.keys(root.scripts)));
  for (const workspace of root.workspaces) {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, workspace, 'package.json'), 'utf8')) as {
      name: string;
      scripts?: Record<string, string>;
    };
    const scripts = new Set(Object.keys(pkg.scripts ?? {}));
    // `-w` takes the folder or the package name.
    npmScripts.set(workspace, scripts);
    npmScripts.set(pkg.name, scripts);
  }
  return {
    variables,
    npmScripts,
    suites: new Set(SUITES.map((suite: { name: string }) => suite.name)),
    deployctl: getDeployctlFlags(buildProgram(() => {})),
    // Replaced settings (REPLACED_SETTINGS) are not keys: synthesis refuses them.
    contextKeys: new Set<string>(CONTEXT_KEYS),
    outputs: getStackOutputs(),
    projects: getAppProjects(),
    // The dev Application and its repository share the name; the chart, app and prod repository too.
    // The chart's objects named `<fullname>-<suffix>` (the canary strategy's Services, the
    // dashboard ConfigMap) carry the same prefix, so they count as known names too.
    repositories: new Set([
      ...[DEFAULTS.prodEcrRepositoryName, DEFAULTS.devEcrRepositoryName].flatMap((name) => [
        name,
        `${name}${CACHE_SUFFIX}`,
      ]),
      ...getChartObjectSuffixes().map((suffix) => `${DEFAULTS.prodEcrRepositoryName}-${suffix}`),
    ]),
  };
}

/** `-<suffix>` of every `$fullname`-derived object name in helm/templates (e.g. `-canary`). */
function getChartObjectSuffixes(): string[] {
  const dir = join(REPO_ROOT, 'helm', 'templates');
  const suffixes = new Set<string>();
  for (const file of readdirSync(dir)) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const match of text.matchAll(/(?:\$fullname|fullname" \.) \}\}-([a-z]+)/g)) suffixes.add(match[1]!);
  }
  return [...suffixes].sort();
}

/** What is wrong with one name, or undefined when the code has it. */
export function checkName(name: DocName, known: KnownNames, docFile: string): string | undefined {
  // docs/<part>.md documents the workspace <part>/: its paths and npm scripts are relative to it.
  const part = /^docs\/([\w-]+)\.md$/.exec(docFile)?.[1];
  const partDir = part && existsSync(join(REPO_ROOT, part, 'package.json')) ? part : undefined;
  switch (name.kind) {
    case 'variable':
      return known.variables.has(name.name)
        ? undefined
        : `variable \`${name.name}\` is not declared in deployctl/src/ci-variables.ts nor used anywhere in the code`;
    case 'path': {
      const fromRoot = join(REPO_ROOT, name.name);
      const fromDoc = join(REPO_ROOT, dirname(docFile), name.name);
      const fromPart = partDir ? join(REPO_ROOT, partDir, name.name) : fromRoot;
      return [fromRoot, fromDoc, fromPart].some((path) => existsSync(path))
        ? undefined
        : `path \`${name.name}\` does not exist`;
    }
    case 'npm-script': {
      const scripts = known.npmScripts.get(name.scope ?? '.');
      if (!scripts) return `npm workspace \`${name.scope}\` does not exist`;
      const own = name.scope === '.' && partDir ? known.npmScripts.get(partDir) : undefined;
      return scripts.has(name.name) || own?.has(name.name)
        ? undefined
        : `npm script \`${name.name}\` is not in ${name.scope === '.' ? '' : `${name.scope}/`}package.json`;
    }
    case 'test-suite':
      return known.suites.has(name.name)
        ? undefined
        : `\`npm test -- ${name.name}\`: no suite \`${name.name}\` in scripts/test/suites.ts`;
    case 'deployctl-command':
      return known.deployctl.has(name.name)
        ? undefined
        : `\`deployctl ${name.name}\` is not a deployctl command`;
    case 'deployctl-flag': {
      const flags = known.deployctl.get(name.scope ?? '');
      if (!flags) return undefined; // reported as a command
      return flags.has(name.name) ? undefined : `\`deployctl ${name.scope} ${name.name}\`: no such option`;
    }
    case 'script-flag': {
      const path = join(REPO_ROOT, name.scope ?? '');
      if (!existsSync(path)) return undefined; // reported as a path
      return readFileSync(path, 'utf8').includes(name.name)
        ? undefined
        : `\`${name.scope} ${name.name}\`: the script has no such option`;
    }
    case 'cdk-context':
      return known.contextKeys.has(name.name)
        ? undefined
        : `CDK context key \`${name.name}\` is not a setting of infra/lib/config.ts`;
    case 'ecr-repository':
      return known.repositories.has(name.name)
        ? undefined
        : `\`${name.name}\` is neither an ECR repository of the registry stack nor a name the chart gives an object`;
    case 'argocd-project':
      return known.projects.has(name.name)
        ? undefined
        : `Argo CD AppProject \`${name.name}\` is not in argocd/*.yaml (${[...known.projects].join(', ')})`;
    case 'stack-output': {
      const stack = known.outputs.get(name.name);
      if (!stack) return `stack output \`${name.name}\` is not created by any stack`;
      return name.scope && name.scope !== stack
        ? `stack output \`${name.name}\` is in ${stack}, not ${name.scope}`
        : undefined;
    }
  }
}

/** Every problem in the docs, as `file:line: message`. */
export async function findDocProblems(files = getDocFiles()): Promise<string[]> {
  const known = await getKnownNames();
  const problems: string[] = [];
  for (const file of files) {
    const markdown = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const name of extractNames(markdown, relative(REPO_ROOT, join(REPO_ROOT, file)))) {
      const problem = checkName(name, known, file);
      if (problem) problems.push(`${name.where}: ${problem}`);
    }
  }
  return problems;
}
