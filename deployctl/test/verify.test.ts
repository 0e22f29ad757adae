import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUNDLED_MODEL_DIR, REPO_ROOT } from '../../test/support/paths.js';
import { verify } from '../src/commands/verify.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import { runCli } from './helpers/git-fixture.js';
import { type Instance, startInstance, startRoundRobinProxy } from './helpers/service-instances.js';

const NEW = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const MODEL_CARD = join(BUNDLED_MODEL_DIR, 'model.json');

describe('verify against two real service instances behind a round-robin proxy', () => {
  const instances: Instance[] = [];
  before(async () => {
    // Started in sequence: two model loads at once are slow on a shared 2-core machine.
    instances.push(await startInstance('pod-a', NEW));
    instances.push(await startInstance('pod-b-old', OLD));
    instances.push(await startInstance('pod-b-new', NEW));
  });
  after(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
  });

  test('both replicas on the commit: passes, sees two instances, golden examples right', async () => {
    const [a, , bNew] = instances;
    const proxy = await startRoundRobinProxy([a!.port, bNew!.port]);
    try {
      const result = await verify({
        url: proxy.url,
        commit: NEW,
        replicas: 2,
        timeoutS: 60,
        modelCard: MODEL_CARD,
      });
      assert.equal(result.status, 'verified');
      assert.deepEqual(result.instances.map((i) => i.instanceId).sort(), ['pod-a', 'pod-b-new']);
      assert.ok(result.golden.length > 0);
      for (const golden of result.golden) assert.equal(golden.got, golden.expected, golden.input);
    } finally {
      await proxy.close();
    }
  });

  test('one replica still on the old commit: keeps waiting, then fails with the evidence (exit 6)', async () => {
    const [a, bOld] = instances;
    const proxy = await startRoundRobinProxy([a!.port, bOld!.port]);
    try {
      const run = await runCli(
        [
          'verify',
          '--url',
          proxy.url,
          '--commit',
          NEW,
          '--replicas',
          '2',
          '--timeout',
          '3',
          '--interval',
          '0.5',
          '--model-card',
          MODEL_CARD,
          '--json',
        ],
        { cwd: REPO_ROOT },
      );
      assert.equal(run.code, EXIT_CODES.timeout, run.stderr);
      assert.match(run.stderr, /not all replicas behind .* report a{40}/);
      assert.match(run.stderr, new RegExp(`pod-b-old runs ${OLD}`));
      const rounds = Number(/\((\d+) rounds/.exec(run.stderr)?.[1]);
      assert.ok(rounds >= 2, `kept polling (rounds: ${rounds})`);
      const body = JSON.parse(run.stdout) as {
        error: { evidence: { instances: { instanceId: string; commit: string }[] } };
      };
      const old = body.error.evidence.instances.find((i) => i.instanceId === 'pod-b-old');
      assert.equal(old?.commit, OLD);
    } finally {
      await proxy.close();
    }
  });

  test('a rollout that finishes while verify waits: keeps polling, then passes', async () => {
    const [a, bOld, bNew] = instances;
    const backends = [a!.port, bOld!.port];
    const proxy = await startRoundRobinProxy(backends);
    // The old pod is replaced by a new one a moment after verify starts.
    const swap = setTimeout(() => {
      backends[1] = bNew!.port;
    }, 1500);
    try {
      const result = await verify({
        url: proxy.url,
        commit: NEW,
        replicas: 2,
        timeoutS: 60,
        intervalS: 0.5,
        modelCard: MODEL_CARD,
      });
      assert.ok(result.rounds >= 2, `rounds: ${result.rounds}`);
      assert.deepEqual(result.instances.map((i) => i.instanceId).sort(), ['pod-a', 'pod-b-new']);
    } finally {
      clearTimeout(swap);
      await proxy.close();
    }
  });

  test('more replicas wanted than answer: fails, naming the instances it saw', async () => {
    const [a] = instances;
    const proxy = await startRoundRobinProxy([a!.port]);
    try {
      await assert.rejects(
        verify({
          url: proxy.url,
          commit: NEW,
          replicas: 2,
          timeoutS: 1,
          intervalS: 0.2,
          modelCard: MODEL_CARD,
        }),
        /want 2 instances\); last round: pod-a runs a{40}/,
      );
    } finally {
      await proxy.close();
    }
  });

  test('a wrong expected label fails with the golden evidence', async () => {
    const card = JSON.parse(readFileSync(MODEL_CARD, 'utf8')) as {
      golden: { input: string; label: string }[];
    };
    const first = card.golden[0]!;
    card.golden = [{ input: first.input, label: first.label === 'spam' ? 'ham' : 'spam' }];
    const dir = mkdtempSync(`${tmpdir()}/deployctl-card-`);
    const path = `${dir}/model.json`;
    writeFileSync(path, JSON.stringify(card));
    const [a] = instances;
    const proxy = await startRoundRobinProxy([a!.port]);
    try {
      await assert.rejects(
        verify({ url: proxy.url, commit: NEW, replicas: 1, timeoutS: 10, modelCard: path }),
        /1 of 1 golden examples failed .* expected (spam|ham), got (ham|spam)/,
      );
    } finally {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
