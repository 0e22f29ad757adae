// The entry point (bin/deployctl.js) as a shell pipeline meets it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { BIN } from './helpers/git-fixture.js';

describe('bin/deployctl.js', () => {
  test('a reader that closes the pipe early (`deployctl … | head`) ends the output, not in a crash', async () => {
    const child = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Close our end before deployctl writes: its write then fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '', 'no error, no stack trace');
    assert.equal(code, 0);
  });
});
