// Before the first release (issue 17): values-prod.yaml and values-dev.yaml ship with
// `image.tag: ""` and `image.waitForRelease: true`, so the environment runs no pods (nothing
// pulls an image nobody pushed, nothing crash-loops) and says why, and Argo CD reports the
// Deployment Healthy at 0 replicas. The first release's tag brings the normal workload back.
// Rendered by the real helm; goldens for both states of prod and the waiting dev.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { getImageValues, setImageValues } from '../../deployctl/src/values-file.js';
import { CHART_DIR, type K8sObject, lint, only, render, templateRaw } from './helm.js';
import { beforeFirstRelease, bootstrapText, EXAMPLE_REPOSITORY, releaseState } from './shipped-values.js';

const GOLDEN_DIR = path.join(import.meta.dirname, 'golden');
// As before the first release: after it, the release commit's tag is in the files (shipped-values.ts).
const PROD = beforeFirstRelease('values-prod.yaml');
const DEV = beforeFirstRelease('values-dev.yaml');
const CANARY = path.join(CHART_DIR, 'ci', 'rollouts', 'canary-values.yaml');
const SHA = '0123456789abcdef0123456789abcdef01234567';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const ANNOTATION = 'mlops-inference-chain/waiting-for-first-release';

/** The chart version label and the config checksum change with every chart bump; not compared. */
const withoutChartVersion = (text: string): string =>
  text
    .replace(/helm\.sh\/chart: mlops-inference-service-\S+/g, 'helm.sh/chart: mlops-inference-service-X')
    .replace(/checksum\/config: [0-9a-f]{64}/g, 'checksum/config: X');

const kinds = (objects: K8sObject[]) => objects.map((object) => object.kind);

describe('before the first release (image.waitForRelease, empty tag)', () => {
  for (const [golden, valuesFiles, namespace, set] of [
    ['bootstrap-values-prod.yaml', [PROD], 'default', []],
    ['bootstrap-values-dev.yaml', [DEV], 'mlops-dev', []],
    ['released-values-prod.yaml', [PROD], 'default', [`image.tag=${SHA}`, `image.digest=${DIGEST}`]],
  ] as const) {
    test(`renders the golden ${golden} (UPDATE_GOLDEN=1 rewrites it after a deliberate change)`, async () => {
      const result = await templateRaw({ valuesFiles: [...valuesFiles], namespace, set: [...set] });
      assert.equal(result.code, 0, result.stderr);
      const file = path.join(GOLDEN_DIR, golden);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, result.stdout);
      assert.equal(withoutChartVersion(result.stdout), withoutChartVersion(readFileSync(file, 'utf8')));
    });
  }

  test('the release-managed lines of both files hold the bootstrap state or a release', () => {
    for (const file of ['values-prod.yaml', 'values-dev.yaml']) {
      const { tag, digest } = releaseState(file);
      if (tag === '' && digest === '') continue;
      assert.match(tag, /^[0-9a-f]{40}$/, `${file}: image.tag is a release's commit SHA`);
      assert.match(digest, /^(sha256:[0-9a-f]{64})?$/, `${file}: image.digest`);
    }
  });

  test('a file released into another account reads as the bootstrap state, every other line as committed', () => {
    for (const file of ['values-prod.yaml', 'values-dev.yaml']) {
      const committed = readFileSync(path.join(CHART_DIR, file), 'utf8');
      // What a project's first release commits: its own ECR repository, the commit, the digest.
      const released = setImageValues(committed, file, {
        repository: `999999999999.dkr.ecr.us-east-1.amazonaws.com/${file}-repo`,
        tag: SHA,
        digest: DIGEST,
      });
      assert.notEqual(released, committed);
      assert.equal(bootstrapText(released, file), bootstrapText(committed, file), file);
      const bootstrap = getImageValues(bootstrapText(released, file), file);
      assert.deepEqual(
        [bootstrap.repository, bootstrap.tag, bootstrap.digest],
        [EXAMPLE_REPOSITORY[file], '', ''],
        file,
      );
    }
  });

  test('both environment files as shipped pass helm lint --strict and run 0 replicas, no HPA, no PDB, annotated', async () => {
    for (const [file, namespace] of [
      [PROD, 'default'],
      [DEV, 'mlops-dev'],
    ] as const) {
      const linted = await lint({ valuesFiles: [file], namespace });
      assert.equal(linted.code, 0, `${linted.stdout}\n${linted.stderr}`);
      const objects = await render({ valuesFiles: [file], namespace });
      const deployment = only(objects, 'Deployment');
      assert.equal(deployment.spec.replicas, 0, file);
      assert.match(deployment.metadata.annotations?.[ANNOTATION] ?? '', /no release yet, so no pods/);
      assert.equal(kinds(objects).includes('HorizontalPodAutoscaler'), false, file);
      assert.equal(kinds(objects).includes('PodDisruptionBudget'), false, file);
      // The Service and the NetworkPolicy stay: the first release only scales the Deployment up.
      assert.ok(kinds(objects).includes('Service'));
    }
  });

  test('the first release (a tag) brings the workload: prod under its HPA (3-10) with a PDB, no annotation', async () => {
    const objects = await render({ valuesFiles: [PROD], set: [`image.tag=${SHA}`] });
    const deployment = only(objects, 'Deployment');
    assert.equal('replicas' in deployment.spec, false, 'the HPA owns the count');
    assert.equal(deployment.metadata.annotations, undefined);
    assert.equal(only(objects, 'HorizontalPodAutoscaler').spec.minReplicas, 3);
    assert.equal(only(objects, 'PodDisruptionBudget').spec.maxUnavailable, 1);
    assert.match(deployment.spec.template.spec.containers[0].image, new RegExp(`:${SHA}$`));
  });

  test('a digest alone is a release too (pulled by digest); dev after its release runs replicaCount 1', async () => {
    const byDigest = only(
      await render({ valuesFiles: [PROD], set: [`image.digest=${DIGEST}`] }),
      'Deployment',
    );
    assert.equal('replicas' in byDigest.spec, false);
    assert.match(byDigest.spec.template.spec.containers[0].image, new RegExp(`@${DIGEST}$`));
    const dev = only(
      await render({ valuesFiles: [DEV], namespace: 'mlops-dev', set: [`image.tag=${SHA}`] }),
      'Deployment',
    );
    assert.equal(dev.spec.replicas, 1);
  });

  test('off by default: the chart alone keeps `image.tag` "" meaning appVersion (STYLE.md), with its replicas', async () => {
    const deployment = only(await render(), 'Deployment');
    assert.equal(deployment.spec.replicas, 2);
    assert.match(deployment.spec.template.spec.containers[0].image, /:0\.1\.0$/);
    assert.equal(deployment.metadata.annotations, undefined);
  });

  test('with the canary strategy the Rollout waits the same way (0 replicas, no HPA)', async () => {
    const objects = await render({ valuesFiles: [CANARY], set: ['image.waitForRelease=true'] });
    const rollout = only(objects, 'Rollout');
    assert.equal(rollout.spec.replicas, 0);
    assert.match(rollout.metadata.annotations?.[ANNOTATION] ?? '', /no release yet/);
    assert.equal(kinds(objects).includes('HorizontalPodAutoscaler'), false);
  });
});
