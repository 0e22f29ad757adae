/**
 * The suites of the README's test command, in the order `npm test` runs them
 * (dependency order: lint and types → model → service → chart → observability → image →
 * deployctl → pipeline → infra → the Kubernetes control plane → Argo CD on it → canary releases on it).
 *
 * The one list: `npm test` (scripts/test/run.ts) runs it, the CI check jobs
 * run one entry each by name (scripts/ci/run-suite.sh), and
 * test/pipeline/jobs.test.ts checks .gitlab-ci.yml has a job for every entry.
 */
export interface Suite {
  /** The name CI and `npm test -- NAME` use. */
  readonly name: string;
  /** What runs it, from the repository root. */
  readonly command: readonly string[];
  /** The .gitlab-ci.yml job that runs it (a matrix entry reads `test: [NAME]`). */
  readonly ciJob: string;
  /**
   * Tools it builds or installs on first use (scripts that are idempotent and
   * fast once cached). `npm test` starts these early, in the background, so a
   * fresh machine builds them while the quick suites run.
   */
  readonly tools?: readonly string[];
  /** Measures time or load: nothing heavy may run beside it. */
  readonly quiet?: boolean;
  /**
   * Part of the release gate: on a deploying branch, publish waits for this
   * suite's CI job. The others (end-to-end suites that stand up the whole
   * chain) run beside the release there, and gate merge requests and the
   * scheduled pipeline instead (docs/pipeline.md, "The release gate").
   */
  readonly gate: boolean;
  /**
   * How many CI jobs share this suite's test files (GitLab's `parallel: N` on
   * its job; `run.ts NAME --shard I/N` hands TEST_SHARD to the suite's test
   * script, which passes it to `node --test --test-shard`). Only for a suite
   * whose test script reads TEST_SHARD; unset: one job runs it whole.
   */
  readonly shards?: number;
}

const HELM = 'scripts/ensure-helm.sh';
const K8S = 'scripts/ensure-k8s.sh';
const IMAGE_TOOLS = 'scripts/ensure-image-tools.sh';
const PIPELINE_TOOLS = 'scripts/ensure-pipeline-tools.sh';
const CHROMIUM = 'scripts/ensure-chromium.sh';
const ARGOCD = 'scripts/ensure-argocd.sh';
const ROLLOUTS = 'scripts/ensure-rollouts.sh';
const PROMETHEUS = 'scripts/ensure-prometheus.sh';

// The release gate: what a direct push to a deploying branch must pass before
// its image is published. Enough that a broken service cannot reach prod
// (lint, types, unit tests, the model gate, the chart, the image); fast
// enough that push-to-live stays within minutes.
export const SUITES: readonly Suite[] = [
  { name: 'lint', command: ['npm', 'run', 'lint'], ciJob: 'lint', quiet: true, gate: true },
  { name: 'types', command: ['npm', 'run', 'types:check'], ciJob: 'type-check', quiet: true, gate: true },
  {
    name: 'model-gate',
    command: ['npm', 'run', 'model:check'],
    ciJob: 'model-gate',
    quiet: true,
    gate: true,
  },
  // The model contract's own tests (card validation, featurize) run first: training builds on them.
  {
    name: 'training',
    command: ['npm', 'test', '-w', 'packages/model-contract', '-w', 'training'],
    ciJob: 'test: [training]',
    quiet: true,
    gate: true,
  },
  {
    name: 'service',
    command: ['npm', 'test', '-w', 'service'],
    ciJob: 'test: [service]',
    quiet: true,
    gate: true,
  },
  { name: 'chart', command: ['npm', 'run', 'test:chart'], ciJob: 'chart-checks', tools: [HELM], gate: true },
  // The dashboard and the chart's alerts against Debian's promtool and a real Prometheus (issue 15).
  {
    name: 'observability',
    command: ['npm', 'run', 'test:observability'],
    ciJob: 'e2e: [observability]',
    tools: [HELM, PROMETHEUS],
    gate: false,
  },
  // In CI its job, image-test, tests build-image's archive (IMAGE_UNDER_TEST) between
  // build and publish; `npm test` builds its own image (issue 11, item 3).
  {
    name: 'image',
    command: ['npm', 'run', 'test:image'],
    ciJob: 'image-test',
    tools: [IMAGE_TOOLS],
    gate: true,
  },
  // The timeline page's test drives Debian's chromium (headless) through playwright-core.
  // The gate's longest suite (about 3.5 min in one job, its files one at a time):
  // two jobs take half of its test files each (issue 11: push to live in 4 min).
  {
    name: 'deployctl',
    command: ['npm', 'run', 'test:deployctl'],
    ciJob: 'deployctl-tests',
    tools: [CHROMIUM],
    gate: true,
    shards: 2,
  },
  {
    name: 'pipeline',
    command: ['npm', 'run', 'test:pipeline'],
    ciJob: 'e2e: [pipeline]',
    // The rehearsal (test/pipeline/rehearsal.test.ts) runs the chain through the real Argo CD.
    tools: [HELM, IMAGE_TOOLS, PIPELINE_TOOLS, K8S, ARGOCD],
    gate: false,
  },
  { name: 'infra', command: ['npm', 'run', 'test:infra'], ciJob: 'test: [infra]', gate: true },
  { name: 'k8s', command: ['npm', 'run', 'test:k8s'], ciJob: 'e2e: [k8s]', tools: [HELM, K8S], gate: false },
  {
    name: 'argocd',
    command: ['npm', 'run', 'test:argocd'],
    ciJob: 'e2e: [argocd]',
    tools: [HELM, K8S, ARGOCD],
    gate: false,
  },
  // Canary releases (issue 16): the control plane plus the Argo Rollouts controller and Debian's
  // prometheus, which the AnalysisTemplate queries.
  {
    name: 'rollouts',
    command: ['npm', 'run', 'test:rollouts'],
    ciJob: 'e2e: [rollouts]',
    tools: [HELM, K8S, ROLLOUTS, PROMETHEUS],
    gate: false,
  },
];

/** One share of a sharded suite's test files: `index` of `total`, both from 1. */
export interface Shard {
  readonly index: number;
  readonly total: number;
}

/**
 * Reads `--shard I/N` for `suite` (GitLab's CI_NODE_INDEX/CI_NODE_TOTAL), or
 * throws an error that says what is wrong: a malformed value, I outside 1..N,
 * or a suite that cannot be sharded (it would run whole, once per job).
 */
export function parseShard(text: string, suite: Suite): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const total = Number(match?.[2]);
  if (!match || index < 1 || total < 1 || index > total) {
    throw new Error(`--shard ${text}: want I/N with 1 <= I <= N (GitLab's $CI_NODE_INDEX/$CI_NODE_TOTAL)`);
  }
  if (suite.shards === undefined) {
    throw new Error(
      `suite \`${suite.name}\` is not sharded (no \`shards\` in scripts/test/suites.ts): run it whole, without --shard`,
    );
  }
  return { index, total };
}

/** The suite called `name`, or an error that lists the known names. */
export function getSuite(name: string): Suite {
  const suite = SUITES.find((s) => s.name === name);
  if (!suite) {
    throw new Error(
      `no suite \`${name}\` (known: ${SUITES.map((s) => s.name).join(' ')}); see scripts/test/suites.ts`,
    );
  }
  return suite;
}
