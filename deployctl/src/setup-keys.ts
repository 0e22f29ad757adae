/**
 * The write-back deploy key of the Free-tier path (issue 17): an ed25519 key
 * pair in OpenSSH's own formats, made with node:crypto so setup needs no
 * ssh-keygen and tests need no fixture keys. The private key is the
 * unencrypted `openssh-key-v1` container (what `ssh-keygen -t ed25519 -N ''`
 * writes, PROTOCOL.key in OpenSSH's sources); the public key is the
 * `ssh-ed25519 AAAA... comment` line GitLab's deploy_keys endpoint takes.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface SshKeyPair {
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` ... with a trailing newline (ssh refuses a key without it). */
  privateKey: string;
  /** `ssh-ed25519 <base64> <comment>` */
  publicKey: string;
}

const KEY_TYPE = 'ssh-ed25519';
const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

export function generateSshKeyPair(comment: string): SshKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const pub = Buffer.from(jwk.x ?? '', 'base64url');
  const publicBlob = Buffer.concat([sshString(KEY_TYPE), sshString(pub)]);
  const check = randomBytes(4).readUInt32BE();
  let section = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString(KEY_TYPE),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  // Padded with 1, 2, 3, ... to the cipher's block size (8 for "none").
  const padding = Buffer.from(Array.from({ length: (8 - (section.length % 8)) % 8 }, (_, i) => i + 1));
  section = Buffer.concat([section, padding]);
  const body = Buffer.concat([
    MAGIC,
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(section),
  ]).toString('base64');
  const lines = body.match(/.{1,70}/g) ?? [];
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `${KEY_TYPE} ${publicBlob.toString('base64')} ${comment}`,
  };
}

/**
 * The `ssh-ed25519 <base64>` of an OpenSSH private key (no comment), or
 * undefined when the text is not one: setup compares it with the deploy key
 * GitLab has, to tell an intact pair from one half of a broken one.
 */
export function getSshPublicKey(privateKey: string): string | undefined {
  const match = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(
    privateKey,
  );
  if (!match?.[1]) return undefined;
  const data = Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  let offset = MAGIC.length;
  const read = (): Buffer | undefined => {
    if (offset + 4 > data.length) return undefined;
    const length = data.readUInt32BE(offset);
    const value = data.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
    return value;
  };
  read(); // cipher
  read(); // kdf
  read(); // kdf options
  offset += 4; // number of keys
  const blob = read();
  if (!blob || blob.length === 0) return undefined;
  const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('utf8');
  return `${type} ${blob.toString('base64')}`;
}

/** `ssh-ed25519 AAAA... comment` → `ssh-ed25519 AAAA...`, for comparing keys GitLab echoes back. */
export function getKeyWithoutComment(publicKey: string): string {
  return publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
}
