import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestExamples, loadDataset, mailToText } from '../src/data.js';

describe('mailToText (raw mail → the plain text users send)', () => {
  it('drops every header except the Subject', () => {
    const raw =
      'From someone@example.com  Thu Aug 22 13:17:22 2002\nReturn-Path: <a@b.c>\nReceived: from x\n\tby y\n' +
      'Subject: Lunch\n  tomorrow?\nFrom: Tom <tom@example.com>\n\nAre we still on?\n';
    assert.equal(mailToText(raw), 'Lunch tomorrow?\nAre we still on?');
  });

  it('decodes quoted-printable and base64 bodies and RFC 2047 subjects', () => {
    const qp =
      'Subject: =?iso-8859-1?Q?Caf=E9_offer?=\nContent-Transfer-Encoding: quoted-printable\n\nFree caf=E9 for=\n ever=21\n';
    assert.equal(mailToText(qp), 'Café offer\nFree café for ever!');
    const b64 = `Subject: hi\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${Buffer.from('Win big now').toString('base64')}\n`;
    assert.equal(mailToText(b64), 'hi\nWin big now');
  });

  it('strips HTML, keeps one alternative of multipart/alternative, skips attachments', () => {
    const raw = [
      'Subject: Deal',
      'Content-Type: multipart/mixed; boundary="OUTER"',
      '',
      'preamble',
      '--OUTER',
      'Content-Type: multipart/alternative; boundary=INNER',
      '',
      '--INNER',
      'Content-Type: text/html',
      '',
      '<html><head><style>p{}</style></head><body><p>Buy&nbsp;<b>now</b> &amp; save &#36;5</p></body></html>',
      '--INNER',
      'Content-Type: text/plain',
      '',
      'Buy now and save 5 dollars',
      '--INNER--',
      '--OUTER',
      'Content-Type: application/octet-stream',
      'Content-Disposition: attachment; filename=x.exe',
      '',
      'TVqQAAMAAAAEAAAA',
      '--OUTER--',
      'epilogue',
    ].join('\n');
    assert.equal(mailToText(raw), 'Deal\nBuy now & save $5');
  });

  it('normalises line endings and whitespace', () => {
    assert.equal(mailToText('Subject: a\r\n\r\nx \t y\r\n\r\n\r\nz  \r\n'), 'a\nx y\nz');
  });
});

describe('loadDataset', () => {
  const d = loadDataset();

  it('is the whole corpus, cleaned, without duplicates or raw headers', () => {
    assert.equal(d.stats.messages, 6046);
    assert.equal(d.examples.length, d.stats.ham + d.stats.spam);
    assert.ok(d.stats.ham > 3500 && d.stats.spam > 1500);
    assert.equal(new Set(d.examples.map((e) => e.text)).size, d.examples.length, 'no exact duplicates');
    const withHeaders = d.examples.filter((e) =>
      /^(Received|Return-Path|Message-Id|X-[\w-]+): /im.test(e.text),
    );
    assert.ok(
      withHeaders.length < d.examples.length * 0.02,
      `${withHeaders.length} texts still look like raw mail`,
    );
    assert.ok(d.examples.every((e) => (e.label === 1) === e.source.startsWith('spam')));
  });

  it('is in a stable order with a digest of what training sees', () => {
    const sources = d.examples.map((e) => e.source);
    assert.deepEqual(sources, [...sources].sort());
    assert.match(d.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(d.digest, digestExamples(d.examples));
    assert.notEqual(digestExamples(d.examples.slice(1)), d.digest);
    assert.equal(loadDataset().digest, d.digest);
  });
});
