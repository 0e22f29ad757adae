/**
 * The suites of the README's test command, in the order `npm test` runs them
 * (dependency order: lint and types → model → service → chart → image →
 * deployctl → pipeline → infra → the Kubernetes control plane → Argo CD on it).
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
}

const HELM = 'scripts/ensure-helm.sh';
const K8S = 'scripts/ensure-k8s.sh';
const IMAGE_TOOLS = 'scripts/ensure-image-tools.sh';
const PIPELINE_TOOLS = 'scripts/ensure-pipeline-tools.sh';
const ARGOCD = 'scripts/ensure-argocd.sh';

export const SUITES: readonly Suite[] = [
  { name: 'lint', command: ['npm', 'run', 'lint'], ciJob: 'lint', quiet: true },
  { name: 'types', command: ['npm', 'run', 'types:check'], ciJob: 'type-check', quiet: true },
  { name: 'model-gate', command: ['npm', 'run', 'model:check'], ciJob: 'model-gate', quiet: true },
  // The model contract's own tests (card validation, featurize) run first: training builds on them.
  {
    name: 'training',
    command: ['npm', 'test', '-w', 'packages/model-contract', '-w', 'training'],
    ciJob: 'test: [training]',
    quiet: true,
  },
  { name: 'service', command: ['npm', 'test', '-w', 'service'], ciJob: 'test: [service]', quiet: true },
  { name: 'chart', command: ['npm', 'run', 'test:chart'], ciJob: 'chart-checks', tools: [HELM] },
  { name: 'image', command: ['npm', 'run', 'test:image'], ciJob: 'test: [image]', tools: [IMAGE_TOOLS] },
  { name: 'deployctl', command: ['npm', 'run', 'test:deployctl'], ciJob: 'test: [deployctl]' },
  {
    name: 'pipeline',
    command: ['npm', 'run', 'test:pipeline'],
    ciJob: 'test: [pipeline]',
    // The rehearsal (test/pipeline/rehearsal.test.ts) runs the chain through the real Argo CD.
    tools: [HELM, IMAGE_TOOLS, PIPELINE_TOOLS, K8S, ARGOCD],
  },
  { name: 'infra', command: ['npm', 'run', 'test:infra'], ciJob: 'test: [infra]' },
  { name: 'k8s', command: ['npm', 'run', 'test:k8s'], ciJob: 'test: [k8s]', tools: [HELM, K8S] },
  {
    name: 'argocd',
    command: ['npm', 'run', 'test:argocd'],
    ciJob: 'test: [argocd]',
    tools: [HELM, K8S, ARGOCD],
  },
];

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
