/**
 * Docs that are tests (issue 17): every CI/CD variable, repository path, npm
 * script and test suite, deployctl command and flag, script flag, CDK context
 * key, stack output and ECR repository that README.md, docs/*.md and
 * infra/README.md name in code must exist in the code (doc-names.ts says how
 * each is found and what it is checked against).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { checkName, extractNames, findDocProblems, getKnownNames, type KnownNames } from './doc-names.js';

/** A runbook snippet with one wrong name of every kind, next to right ones. */
const PLANTED = `# Setup

Set \`GITOPS_WRITE_TOKEN\` (wrong) and \`GITOPS_PUSH_TOKEN\` (right); \`DEPLOYCTL_RELEASE_STATUS=skipped\`.

\`\`\`sh
npx cdk deploy MlopsCluster -c clusterAdminArns=arn:aws:iam::111122223333:role/Admin -c clusterAdmins=x
npm run test:infra
npm run test:everything
npm test -- pipeline
npm test -- everything
npx deployctl release --env prod --commit "$CI_COMMIT_SHA" --push-option ci.skip
npx deployctl release --env prod --no-such-flag
npx deployctl deploy --env prod
bash scripts/build-image.sh --push --digestfile image.digest --turbo
bash scripts/ci/build-image.sh
argocd proj role create-token mlops-prod pipeline
argocd proj role create-token mlops-inference pipeline
\`\`\`

The cache is \`mlops-inference-service/build-cache\`, not \`mlops-inference-service-build-cache\`.

### Variables

\`aws cloudformation describe-stacks --stack-name MlopsRegistry\`: output \`ProdGitLabCiRoleArn\`,
output \`ArgoCdServer\` (in the other stack), output \`GitLabCiRole\` (no such output).
`;

describe('docs name only what exists', () => {
  let known: KnownNames;
  before(async () => {
    known = await getKnownNames();
  });

  test('README.md, docs/*.md and infra/README.md: every name they use exists in the code', async () => {
    assert.deepEqual(await findDocProblems(), []);
  });

  test('a planted wrong name of every kind is caught, and the right names next to them are not', () => {
    const problems = extractNames(PLANTED, 'docs/planted.md')
      .map((name) => checkName(name, known, 'docs/planted.md'))
      .filter((problem) => problem !== undefined);
    assert.deepEqual(
      problems.sort(),
      [
        '`deployctl deploy` is not a deployctl command',
        '`deployctl release --no-such-flag`: no such option',
        '`mlops-inference-service-build-cache` is neither an ECR repository of the registry stack nor a name the chart gives an object',
        '`npm test -- everything`: no suite `everything` in scripts/test/suites.ts',
        '`scripts/build-image.sh --turbo`: the script has no such option',
        'Argo CD AppProject `mlops-inference` is not in argocd/*.yaml (mlops-prod, mlops-dev, default, mlops-root)',
        'CDK context key `clusterAdmins` is not a setting of infra/lib/config.ts',
        'npm script `test:everything` is not in package.json',
        'path `scripts/ci/build-image.sh` does not exist',
        'stack output `ArgoCdServer` is in MlopsCluster, not MlopsRegistry',
        'stack output `GitLabCiRole` is not created by any stack',
        'variable `GITOPS_WRITE_TOKEN` is not declared in deployctl/src/ci-variables.ts nor used anywhere in the code',
      ].sort(),
    );
  });

  test('extraction reads code only: the same names in prose are not checked', () => {
    const prose =
      'Set GITOPS_WRITE_TOKEN, run deployctl deploy, see output GitLabCiRole and scripts/nope.sh.';
    assert.deepEqual(extractNames(prose, 'docs/prose.md'), []);
  });
});
