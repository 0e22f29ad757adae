// Wrong values files fail both `helm lint --strict` and `helm template`, with a
// message that names the value at fault (the files are in ./bad-values/).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { lint, templateRaw } from './helm.js';

const BAD_VALUES_DIR = path.join(import.meta.dirname, 'bad-values');

// file → what both commands must say about it.
const CASES: Record<string, RegExp> = {
  'replica-count-string.yaml': /at '\/replicaCount': got string, want integer/,
  'service-port-negative.yaml': /at '\/service\/port': minimum: got -1, want 1/,
  'container-port-out-of-range.yaml': /at '\/containerPort': maximum: got 70,000, want 65,535/,
  'unknown-top-level-key.yaml': /additional properties 'replicas' not allowed/,
  'unknown-image-key.yaml': /at '\/image': additional properties 'tags' not allowed/,
  'tag-with-spaces.yaml': /at '\/image\/tag': 'v1 final' does not match pattern/,
  'digest-malformed.yaml': /at '\/image\/digest': 'latest' does not match pattern/,
  // Issue 17: deployctl status reads the same switch as a boolean (chart-values.ts).
  'wait-for-release-string.yaml': /at '\/image\/waitForRelease': got string, want boolean/,
  'grace-period-too-short.yaml':
    /terminationGracePeriodSeconds \(12\) must be greater than shutdown\.drainDelaySeconds \(5\) \+ shutdown\.timeoutSeconds \(10\) = 15.*at least 16/,
  'drain-not-below-timeout.yaml':
    /shutdown\.drainDelaySeconds \(10\) must be less than shutdown\.timeoutSeconds \(10\)/,
  'batch-larger-than-queue.yaml': /config\.maxBatchItems \(64\) must not exceed config\.maxQueue \(32/,
  'hpa-min-over-max.yaml': /autoscaling\.minReplicas \(5\) must not exceed autoscaling\.maxReplicas \(3\)/,
  // Issue 13: an Ingress reachable from the internet is a choice, never a default or an accident.
  'ingress-internet-facing-unchosen.yaml':
    /ingress\.scheme internet-facing opens the service, which has no authentication, to the whole internet: list the sources in ingress\.allowedCidrs, or set ingress\.public: true/,
  'ingress-scheme-annotation.yaml':
    /ingress\.annotations must not set alb\.ingress\.kubernetes\.io\/scheme: use ingress\.scheme and ingress\.allowedCidrs/,
  'ingress-other-class-unacknowledged.yaml':
    /ingress\.className nginx: the chart cannot keep this Ingress internal .*set ingress\.public: true/,
  'ingress-scheme-unknown.yaml': /at '\/ingress\/scheme': value must be one of 'internal', 'internet-facing'/,
  'metrics-port-same-as-api.yaml': /metrics\.port \(8000\) must differ from containerPort \(8000\)/,
  // Issue 16: a canary is judged, or it is only a slower rolling update.
  'canary-golden-without-image.yaml':
    /rollout\.analysis\.golden\.image is empty: .*set rollout\.analysis\.golden\.enabled: false/,
  'canary-without-analysis.yaml': /rollout\.canary\.steps has no `analysis: \{\}` step/,
  'rollout-strategy-unknown.yaml': /at '\/rollout\/strategy': value must be one of 'rolling', 'canary'/,
  'dashboard-enabled-string.yaml': /at '\/dashboard\/enabled': got string, want boolean/,
};

describe('bad values files', () => {
  for (const [file, message] of Object.entries(CASES)) {
    const valuesFiles = [path.join(BAD_VALUES_DIR, file)];

    test(`helm template rejects ${file}`, async () => {
      const result = await templateRaw({ valuesFiles });
      assert.notEqual(result.code, 0, 'helm template succeeded');
      assert.match(result.stderr, message);
      assert.equal(result.stdout.includes('kind: Deployment'), false, 'rendered manifests anyway');
    });

    test(`helm lint --strict rejects ${file}`, async () => {
      const result = await lint({ valuesFiles });
      assert.notEqual(result.code, 0, 'helm lint succeeded');
      assert.match(result.stdout, message);
      assert.match(result.stderr, /1 chart\(s\) linted, 1 chart\(s\) failed/);
    });
  }

  test('a drain that fits, with one second to spare, renders', async () => {
    const result = await templateRaw({
      set: ['terminationGracePeriodSeconds=16', 'shutdown.drainDelaySeconds=5', 'shutdown.timeoutSeconds=10'],
    });
    assert.equal(result.code, 0, result.stderr);
  });
});
