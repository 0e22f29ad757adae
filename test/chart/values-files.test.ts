// The values files as documents: every key documented and in the schema, the README
// table current, and the environment files editable the way `deployctl release` edits them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse, parseDocument } from 'yaml';
import {
  documentedKeys,
  leafPaths,
  type SchemaNode,
  valuesTable,
  withTable,
} from '../../scripts/chart/values-table.js';
import { CHART_DIR, mainContainer, only, render } from './helm.js';
import { beforeFirstRelease, EXAMPLE_REPOSITORY } from './shipped-values.js';

const read = (file: string): string => readFileSync(path.join(CHART_DIR, file), 'utf8');
const valuesYaml = read('values.yaml');
const schema = JSON.parse(read('values.schema.json')) as SchemaNode & { additionalProperties?: boolean };

describe('values.yaml', () => {
  test('documents every key with a # -- comment (itself or the block it belongs to)', () => {
    const documented = new Set(documentedKeys(valuesYaml).map((key) => key.path));
    const undocumented = leafPaths(parse(valuesYaml)).filter((leaf) => {
      const parts = leaf.split('.');
      return !parts.some((_, index) => documented.has(parts.slice(0, index + 1).join('.')));
    });
    assert.deepEqual(undocumented, []);
  });

  test('every key is declared in values.schema.json, which rejects unknown top-level keys', () => {
    assert.equal(schema.additionalProperties, false);
    const missing = documentedKeys(valuesYaml)
      .map((key) => key.path)
      .filter((dotted) => {
        let node: SchemaNode | undefined = schema;
        for (const key of dotted.split('.')) node = node?.properties?.[key];
        return node === undefined;
      });
    assert.deepEqual(missing, []);
  });

  test('helm/README.md has the current values table (scripts/chart/values-table.ts)', () => {
    const readme = read('README.md');
    assert.equal(
      withTable(readme, valuesTable(valuesYaml, schema)),
      readme,
      'stale: run node --import tsx scripts/chart/values-table.ts',
    );
    assert.match(readme, /\| `image\.tag` \| string \| `""` \|/);
  });
});

describe('values-dev.yaml and values-prod.yaml', () => {
  test('are small and keep a quoted image.tag with a comment', () => {
    for (const file of ['values-dev.yaml', 'values-prod.yaml']) {
      const text = read(file);
      assert.ok(text.split('\n').length < 60, `${file} should stay small`);
      assert.match(
        text,
        /^image:\n(\s+#.*\n)*\s+repository: \S+\n\s+#.*\n\s+tag: "[^"]*"\n\s+#.*\n\s+digest: "[^"]*"$/m,
        file,
      );
      const tag = parseDocument(text).getIn(['image', 'tag'], true) as { type?: string };
      assert.equal(tag.type, 'QUOTE_DOUBLE', `${file}: image.tag must stay a quoted string`);
    }
  });

  test('once released, dev runs one replica without a PDB; prod hands replicas to the HPA and keeps a PDB', async () => {
    // As shipped both wait for their first release (bootstrap.test.ts); this is after it.
    const released = [`image.tag=${'a'.repeat(40)}`];
    const dev = await render({
      valuesFiles: [path.join(CHART_DIR, 'values-dev.yaml')],
      namespace: 'mlops-dev',
      set: released,
    });
    assert.equal(only(dev, 'Deployment').spec.replicas, 1);
    assert.equal(dev.filter((object) => object.kind === 'PodDisruptionBudget').length, 0);
    const prod = await render({ valuesFiles: [path.join(CHART_DIR, 'values-prod.yaml')], set: released });
    assert.equal('replicas' in only(prod, 'Deployment').spec, false);
    assert.equal(only(prod, 'HorizontalPodAutoscaler').spec.minReplicas, 3);
    assert.equal(only(prod, 'PodDisruptionBudget').spec.maxUnavailable, 1);
  });

  test('both turn the NetworkPolicy on: /metrics only from the monitoring namespace', async () => {
    for (const [file, namespace] of [
      ['values-dev.yaml', 'mlops-dev'],
      ['values-prod.yaml', 'default'],
    ] as const) {
      const policy = only(
        await render({ valuesFiles: [path.join(CHART_DIR, file)], namespace }),
        'NetworkPolicy',
      );
      assert.deepEqual(
        policy.spec.ingress.map((rule: { ports: { port: string }[] }) => rule.ports[0]?.port),
        ['http', 'metrics'],
        file,
      );
    }
  });

  test('an edit with the yaml Document API (as deployctl release does) changes only the image lines and keeps the comments', async (t) => {
    // Looks like a float to YAML (digits, an e, digits): only quoting keeps it a string.
    const sha = `1234567e${'8'.repeat(32)}`;
    const digest = `sha256:${'0f'.repeat(32)}`;
    const dir = mkdtempSync(path.join(tmpdir(), 'chart-values-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    for (const file of ['values-dev.yaml', 'values-prod.yaml']) {
      // As before the first release; a release commit has already done this edit.
      const before = readFileSync(beforeFirstRelease(file), 'utf8');
      const doc = parseDocument(before);
      doc.setIn(['image', 'tag'], sha);
      doc.setIn(['image', 'digest'], digest);
      const after = doc.toString();

      const removed = before.split('\n').filter((line) => !after.split('\n').includes(line));
      const added = after.split('\n').filter((line) => !before.split('\n').includes(line));
      assert.deepEqual(removed, ['  tag: ""', '  digest: ""'], `${file}: only the image lines may change`);
      assert.deepEqual(added, [`  tag: "${sha}"`, `  digest: "${digest}"`], file);

      const edited = path.join(dir, file);
      writeFileSync(edited, after);
      const container = mainContainer(await render({ valuesFiles: [edited] }));
      // Each environment pulls from its own repository (dev: …-dev; issue 13).
      const repository = EXAMPLE_REPOSITORY[file];
      assert.equal(container.image, `${repository}:${sha}@${digest}`);
    }
  });
});
