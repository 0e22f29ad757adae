/**
 * Reads and edits `image.*` in a Helm values file while keeping every other
 * byte (comments, spacing, quoting) as it was: edits go through the `yaml`
 * library's concrete syntax tree, not a parse → stringify round trip.
 */
import { Composer, CST, type Document, isMap, isScalar, Parser, parseDocument } from 'yaml';
import { DeployctlError } from './exit-codes.js';

export interface ImageValues {
  repository: string | undefined;
  tag: string | undefined;
  digest: string | undefined;
}

export interface ImageChanges {
  tag: string;
  /** `undefined` leaves the key alone; '' clears a stale digest. */
  digest?: string | undefined;
  repository?: string | undefined;
}

function parseValues(text: string, path: string): { tokens: CST.Token[]; doc: Document.Parsed } {
  const tokens = [...new Parser().parse(text)];
  const docs = [...new Composer({ keepSourceTokens: true }).compose(tokens)];
  const doc = docs[0];
  if (docs.length !== 1 || doc === undefined) {
    throw new DeployctlError(
      'input',
      `${path} holds ${docs.length} YAML documents; a values file holds exactly one`,
    );
  }
  if (doc.errors.length > 0) {
    const first = doc.errors[0]?.message.split('\n')[0];
    throw new DeployctlError('input', `${path} is not valid YAML: ${first}; fix the file and run again`, {
      cause: doc.errors[0],
    });
  }
  if (!isMap(doc.contents)) {
    throw new DeployctlError(
      'input',
      `${path} is not a YAML mapping; a values file starts with keys like \`image:\``,
    );
  }
  return { tokens, doc };
}

function getScalarString(doc: Document.Parsed, key: string): string | undefined {
  const node = doc.getIn(['image', key], true);
  if (node === undefined || node === null) return undefined;
  if (!isScalar(node)) return undefined;
  // A plain all-digit SHA would parse as a number; the source text is what was written.
  return node.value === null ? '' : String(node.source ?? node.value);
}

function verifyImageMap(doc: Document.Parsed, path: string) {
  const image = doc.get('image', true);
  if (!isMap(image)) {
    throw new DeployctlError(
      'input',
      `${path} has no \`image:\` mapping; add \`image: {repository: ..., tag: ...}\` as in docs/contracts.md`,
    );
  }
  const tag = image.get('tag', true);
  if (tag === undefined || !isScalar(tag)) {
    throw new DeployctlError(
      'input',
      `${path} has no scalar \`image.tag\` key; add \`tag: ""\` under \`image:\` (docs/contracts.md)`,
    );
  }
}

export function getImageValues(text: string, path: string): ImageValues {
  const { doc } = parseValues(text, path);
  verifyImageMap(doc, path);
  return {
    repository: getScalarString(doc, 'repository'),
    tag: getScalarString(doc, 'tag'),
    digest: getScalarString(doc, 'digest'),
  };
}

function setScalar(doc: Document.Parsed, key: string, value: string) {
  const node = doc.getIn(['image', key], true);
  if (!isScalar(node) || node.srcToken === undefined) return false;
  // A plain scalar that would not read back as a string (e.g. an all-digit SHA) gets quoted.
  const plainIsAmbiguous = typeof parseDocument(value).contents?.toJSON() !== 'string';
  const type = node.srcToken.type === 'scalar' && plainIsAmbiguous ? 'QUOTE_DOUBLE' : undefined;
  CST.setScalarValue(node.srcToken, value, type ? { type } : undefined);
  return true;
}

/** Text of the values file with `image.tag` (and digest/repository if given) replaced. */
export function setImageValues(text: string, path: string, changes: ImageChanges): string {
  const { tokens, doc } = parseValues(text, path);
  verifyImageMap(doc, path);
  setScalar(doc, 'tag', changes.tag);
  if (changes.repository !== undefined && !setScalar(doc, 'repository', changes.repository)) {
    throw new DeployctlError('input', `${path} has no \`image.repository\` key; add it under \`image:\``);
  }
  const digestWritten = changes.digest === undefined || setScalar(doc, 'digest', changes.digest);
  let updated = tokens.map((token) => CST.stringify(token)).join('');
  if (!digestWritten && changes.digest) updated = insertDigestAfterTag(updated, path, changes.digest);
  // Read it back: the edit must say exactly what we meant, or nothing is written.
  const check = getImageValues(updated, path);
  const wantDigest = changes.digest === undefined ? check.digest : changes.digest;
  if (check.tag !== changes.tag || (check.digest ?? '') !== (wantDigest ?? '')) {
    throw new DeployctlError(
      'internal',
      `editing ${path} did not produce image.tag=${changes.tag}; file left as is`,
    );
  }
  return updated;
}

/** `image.digest` is optional in the contract: add it on the line after `tag:` with the same indent. */
function insertDigestAfterTag(text: string, path: string, digest: string): string {
  const { doc } = parseValues(text, path);
  const image = doc.get('image', true);
  if (!isMap(image)) return text;
  const pair = image.items.find((item) => isScalar(item.key) && item.key.value === 'tag');
  const keyNode = pair?.key;
  if (!isScalar(keyNode) || keyNode.range === undefined || keyNode.range === null) return text;
  const keyStart = keyNode.range[0];
  const lineStart = text.lastIndexOf('\n', keyStart) + 1;
  const indent = text.slice(lineStart, keyStart);
  if (!/^ *$/.test(indent)) {
    throw new DeployctlError(
      'input',
      `${path}: cannot add image.digest next to a flow-style image map; add \`digest: ""\``,
    );
  }
  const lineEnd = text.indexOf('\n', keyStart);
  const at = lineEnd === -1 ? text.length : lineEnd;
  return `${text.slice(0, at)}\n${indent}digest: "${digest}"${text.slice(at)}`;
}
