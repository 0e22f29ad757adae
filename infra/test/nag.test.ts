import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { cleanup, type Synthesized, synth } from './helpers';

/** Every acknowledgment in the tree: where, which rule, and the reason given. */
function acknowledgments(app: cdk.App): Array<{ path: string; id: string; reason: string }> {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  let s: Synthesized;
  before(() => {
    // buildApp registers the pack as a validation plugin: synth itself would throw on a finding.
    s = synth();
  });
  after(() => cleanup(s));

  it('reports no unacknowledged finding on either stack', () => {
    const report = new AwsSolutionsChecks(s.app).validateScope(s.app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.resourceLogicalId}`),
    );
    assert.deepEqual(findings, []);
    assert.equal(report.success, true);
  });

  it('gives every AwsSolutions acknowledgment a reason', () => {
    const nag = acknowledgments(s.app).filter((a) => a.id.includes('AwsSolutions-'));
    assert.ok(nag.length >= 8, `expected the documented acknowledgments, found ${nag.length}`);
    for (const { path, id, reason } of nag) {
      assert.ok(reason.trim().length >= 40, `${id} at ${path} needs a real reason, got "${reason}"`);
    }
  });

  it('acknowledges nothing on the CI roles or the repositories (they are fixed, not suppressed)', () => {
    const onRegistry = acknowledgments(s.app).filter((a) => a.path.startsWith('MlopsRegistry/'));
    assert.deepEqual(
      onRegistry.map((a) => `${a.path} ${a.id}`),
      [
        'MlopsRegistry/GitlabCiPushPolicy Annotation::AwsSolutions-IAM5[Resource::*]',
        'MlopsRegistry/DevGitlabCiPushPolicy Annotation::AwsSolutions-IAM5[Resource::*]',
      ],
    );
  });

  it('does find problems: an unacknowledged wildcard policy fails the same pack', () => {
    const app = new cdk.App();
    const stack = new cdk.Stack(app, 'Scratch', { env: { account: '123456789012', region: 'eu-central-1' } });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:*'], resources: ['*'] }));
    const report = new AwsSolutionsChecks(app).validateScope(app);
    assert.equal(report.success, false);
    assert.ok(report.violations.some((v) => v.ruleName.startsWith('AwsSolutions-IAM5')));
  });
});
