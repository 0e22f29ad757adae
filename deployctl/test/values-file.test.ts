import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { getImageValues, setImageValues } from '../src/values-file.js';
import { VALUES_FIXTURE } from './helpers/git-fixture.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

test('setImageValues changes only the values, byte for byte', () => {
  const updated = setImageValues(VALUES_FIXTURE, 'v.yaml', { tag: SHA, digest: `sha256:${'0'.repeat(64)}` });
  assert.equal(
    updated,
    VALUES_FIXTURE.replace('tag: ""', `tag: "${SHA}"`).replace(
      'digest: ""',
      `digest: "sha256:${'0'.repeat(64)}"`,
    ),
  );
});

test('a plain all-digit SHA is written so that it reads back as a string', () => {
  const text = '# c\nimage:\n  repository: r # keep\n  tag: latest\n';
  const digits = '1234567890'.repeat(4);
  const updated = setImageValues(text, 'v.yaml', { tag: digits });
  assert.equal(getImageValues(updated, 'v.yaml').tag, digits);
  assert.match(updated, /^ {2}repository: r # keep$/m);
});

test('any full SHA round-trips through a plain, single- or double-quoted tag', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[0-9a-f]{40}$/),
      fc.constantFrom('latest', "'latest'", '"latest"', '""'),
      (sha, tag) => {
        const text = `image:\n  tag: ${tag}  # note\n`;
        const updated = setImageValues(text, 'v.yaml', { tag: sha });
        assert.equal(getImageValues(updated, 'v.yaml').tag, sha);
        assert.match(updated, /# note\n$/);
      },
    ),
  );
});

test('a digest is added after tag when the optional key is missing', () => {
  const text = 'image:\n  repository: r\n  tag: ""\nother: 1\n';
  const digest = `sha256:${'f'.repeat(64)}`;
  assert.equal(
    setImageValues(text, 'v.yaml', { tag: SHA, digest }),
    `image:\n  repository: r\n  tag: "${SHA}"\n  digest: "${digest}"\nother: 1\n`,
  );
});

test('rejects a file that is not YAML, a non-mapping, and a missing image.tag', () => {
  assert.throws(() => getImageValues('image: [unclosed\n', 'v.yaml'), /v\.yaml is not valid YAML/);
  assert.throws(() => getImageValues('- a\n- b\n', 'v.yaml'), /not a YAML mapping/);
  assert.throws(() => getImageValues('replicaCount: 1\n', 'v.yaml'), /has no `image:` mapping/);
  assert.throws(
    () => getImageValues('image:\n  repository: r\n', 'v.yaml'),
    /has no scalar `image\.tag` key/,
  );
});
