// The model owner's metrics (issue 15) on the real process: real HTTP requests on the API port,
// then GET /metrics on METRICS_PORT, parsed from the text format and compared with what was sent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ServiceProcess, startService } from '../../test/support/service-process.js';
import { card } from './helpers.js';

/** One sample of the text exposition format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus' text format (the subset prom-client writes: no timestamps). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples of `name` whose labels include `where`. */
function select(samples: Sample[], name: string, where: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(where).every(([key, value]) => s.labels[key] === value),
  );
}

/** The one sample of `name` matching `where` (0 when absent is not allowed: it must exist). */
function value(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  const found = select(samples, name, where);
  assert.equal(found.length, 1, `expected one ${name}${JSON.stringify(where)}, got ${found.length}`);
  return found[0]!.value;
}

const COMMIT = 'c0ffee'.padEnd(40, '0');
const INSTANCE_ID = 'metrics-test-pod';
const served = { model_name: card.name, model_version: card.version };

describe('model metrics on the real process (GET /metrics on METRICS_PORT)', () => {
  let service: ServiceProcess;

  async function scrape(): Promise<Sample[]> {
    const response = await fetch(`${service.metricsUrl}/metrics`);
    assert.equal(response.status, 200);
    return parseSamples(await response.text());
  }

  async function predict(
    body: unknown,
  ): Promise<{ label?: string; score?: number; predictions?: unknown[] }> {
    const response = await fetch(`${service.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as { label?: string; score?: number };
  }

  before(async () => {
    service = await startService({
      // A batch window of 150 ms: requests sent together run as one batch, and the queue
      // depth is visible while they wait.
      env: { GIT_COMMIT: COMMIT, INSTANCE_ID, BATCH_MAX_WAIT_MS: '150', SHUTDOWN_DRAIN_DELAY_SECONDS: '2' },
      waitFor: '/readyz',
    });
  });
  after(() => service?.stop());

  test('inference_service_build_info names the commit, model, version and instance, value 1', async () => {
    const build = select(await scrape(), 'inference_service_build_info');
    assert.equal(build.length, 1);
    assert.deepEqual(build[0], {
      name: 'inference_service_build_info',
      labels: {
        commit: COMMIT,
        model_name: card.name,
        model_version: card.version,
        instance_id: INSTANCE_ID,
        node_version: build[0]!.labels.node_version!,
      },
      value: 1,
    });
    assert.match(build[0]!.labels.node_version!, /^\d+\.\d+\.\d+$/);
  });

  test('model_predictions_total starts at 0 for every label of the card (warm-up not counted)', async () => {
    const samples = await scrape();
    for (const label of card.labels) {
      assert.equal(value(samples, 'model_predictions_total', { ...served, label }), 0, label);
      assert.equal(value(samples, 'model_prediction_score_count', { ...served, label }), 0, label);
    }
  });

  test('model_predictions_total and model_prediction_score count each answered text by its predicted label', async () => {
    const before = await scrape();
    const golden = card.golden;
    // Singles, one batch, and one KServe v2 infer: every route that classifies counts.
    const singles = await Promise.all(golden.slice(0, 3).map((g) => predict({ input: g.input })));
    const batch = (await predict({ inputs: golden.slice(3, 6).map((g) => g.input) })).predictions as {
      label: string;
      score: number;
    }[];
    const v2 = await fetch(`${service.url}/v2/models/${card.name}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: golden.slice(6).map((g) => g.input) }],
      }),
    });
    assert.equal(v2.status, 200);
    const outputs = ((await v2.json()) as { outputs: { name: string; data: (string | number)[] }[] }).outputs;
    const v2Labels = outputs.find((o) => o.name === 'label')!.data as string[];
    const v2Scores = outputs.find((o) => o.name === 'score')!.data as number[];
    const answered = [
      ...singles.map((p) => ({ label: p.label!, score: p.score! })),
      ...batch,
      ...v2Labels.map((label, i) => ({ label, score: v2Scores[i]! })),
    ];
    const after = await scrape();

    for (const label of card.labels) {
      const expected = answered.filter((p) => p.label === label);
      const where = { ...served, label };
      const delta = (name: string, extra: Record<string, string> = {}) =>
        value(after, name, { ...where, ...extra }) - value(before, name, { ...where, ...extra });
      assert.equal(delta('model_predictions_total'), expected.length, `predictions of ${label}`);
      assert.equal(delta('model_prediction_score_count'), expected.length, `scores of ${label}`);
      // Every bucket holds exactly the answered scores up to its bound (the v2 scores are
      // FP32, so a score right at a bound is compared with a little slack).
      for (const bucket of select(after, 'model_prediction_score_bucket', where)) {
        const le = bucket.labels.le!;
        const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
        const inside = expected.filter((p) => p.score <= bound + 1e-6).length;
        const strictly = expected.filter((p) => p.score <= bound - 1e-6).length;
        const moved = delta('model_prediction_score_bucket', { le });
        assert.ok(
          moved >= strictly && moved <= inside,
          `${label} le=${le}: ${moved} not in ${strictly}..${inside}`,
        );
      }
    }
    // The model's golden examples split 4/4, so both labels moved.
    assert.deepEqual(new Set(answered.map((p) => p.label)), new Set(card.labels));
  });

  test('model_prediction_score_sum is the sum of the scores answered', async () => {
    const before = await scrape();
    const [ham, spam] = [card.golden[0]!, card.golden.at(-1)!];
    const answers = [await predict({ input: ham.input }), await predict({ input: spam.input })];
    const after = await scrape();
    for (const answer of answers) {
      const where = { ...served, label: answer.label! };
      const delta =
        value(after, 'model_prediction_score_sum', where) -
        value(before, 'model_prediction_score_sum', where);
      assert.ok(
        Math.abs(delta - answer.score!) < 1e-6,
        `sum moved by ${delta}, answer scored ${answer.score}`,
      );
    }
  });

  test('model_input_length_characters observes each text in Unicode code points', async () => {
    const before = await scrape();
    // 10 ASCII characters, and 5 emoji (10 UTF-16 code units, 5 characters for MAX_INPUT_CHARS).
    const texts = ['a'.repeat(10), '😀'.repeat(5), 'b'.repeat(100)];
    await predict({ inputs: texts });
    const after = await scrape();
    const delta = (name: string, where: Record<string, string> = {}) =>
      value(after, name, { ...served, ...where }) - value(before, name, { ...served, ...where });
    assert.equal(delta('model_input_length_characters_count'), 3);
    assert.equal(delta('model_input_length_characters_sum'), 10 + 5 + 100);
    assert.equal(delta('model_input_length_characters_bucket', { le: '8' }), 1, 'the 5 emoji');
    assert.equal(delta('model_input_length_characters_bucket', { le: '16' }), 2);
    assert.equal(delta('model_input_length_characters_bucket', { le: '128' }), 3);
    // The last finite bucket is MAX_INPUT_CHARS (20000 by default).
    const les = select(after, 'model_input_length_characters_bucket').map((s) => s.labels.le);
    assert.deepEqual(les.slice(-2), ['20000', '+Inf']);
  });

  test('model_batch_size observes one batch for texts that arrive together', async () => {
    const before = await scrape();
    await predict({ inputs: card.golden.slice(0, 5).map((g) => g.input) });
    const after = await scrape();
    const delta = (le: string) =>
      value(after, 'model_batch_size_bucket', { le }) - value(before, 'model_batch_size_bucket', { le });
    assert.equal(value(after, 'model_batch_size_count') - value(before, 'model_batch_size_count'), 1);
    assert.equal(value(after, 'model_batch_size_sum') - value(before, 'model_batch_size_sum'), 5);
    assert.equal(delta('4'), 0);
    assert.equal(delta('8'), 1);
  });

  test('model_queue_depth shows texts waiting for their batch, and 0 once they are answered', async () => {
    assert.equal(value(await scrape(), 'model_queue_depth'), 0);
    let seen = 0;
    // The batch window is 150 ms; on a busy machine a scrape may miss it, so try a few times.
    for (let attempt = 0; attempt < 5 && seen !== 3; attempt++) {
      const pending = Promise.all(card.golden.slice(0, 3).map((g) => predict({ input: g.input })));
      const deadline = Date.now() + 2_000;
      let settled = false;
      void pending.then(() => {
        settled = true;
      });
      while (!settled && Date.now() < deadline) {
        const depth = value(await scrape(), 'model_queue_depth');
        seen = Math.max(seen, depth);
        if (depth === 3) break;
      }
      await pending;
    }
    assert.equal(seen, 3, 'three texts waited in the queue together');
    assert.equal(value(await scrape(), 'model_queue_depth'), 0);
  });

  test('cardinality is bounded: 50 different texts add no series', async () => {
    const seriesOf = (samples: Sample[]) =>
      new Set(
        samples.filter((s) => s.name.startsWith('model_')).map((s) => JSON.stringify([s.name, s.labels])),
      ).size;
    // Every length bucket and label seen once, so the next texts could only add series by text.
    await predict({ inputs: ['x', ...card.golden.map((g) => g.input)] });
    const before = seriesOf(await scrape());
    const texts = Array.from({ length: 50 }, (_, i) => `message number ${i} ${'z'.repeat(i * 7)}`);
    await predict({ inputs: texts });
    const after = await scrape();
    assert.equal(seriesOf(after), before);
    for (const sample of after) {
      for (const label of Object.values(sample.labels)) {
        assert.ok(!texts.includes(label), `${sample.name} carries a text as a label`);
      }
    }
  });

  // Last: it shuts the process down.
  test('inference_service_ready is 1 while /readyz is 200, and 0 from SIGTERM on (during the drain)', async () => {
    assert.equal(value(await scrape(), 'inference_service_ready'), 1);
    service.proc.kill('SIGTERM');
    // The drain delay (2 s) keeps both listeners up while /readyz answers 503.
    const deadline = Date.now() + 1_500;
    let ready = 1;
    while (ready !== 0 && Date.now() < deadline) ready = value(await scrape(), 'inference_service_ready');
    assert.equal(ready, 0);
    assert.equal((await fetch(`${service.url}/readyz`)).status, 503);
    assert.equal(await service.exited, 0);
  });
});
