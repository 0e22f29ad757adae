// Reads the repository's Dockerfile into stages of instructions, with ARG and
// ENV references substituted, for scripts/image/assemble.ts: the Dockerfile
// stays the one definition of the image (its files, its config), and the
// assembler replays the parts of it that need no RUN step. Only the syntax this
// project's Dockerfile uses is understood; anything else is an error that says
// so, never a silent guess.

export interface Instruction {
  /** Upper-case keyword: FROM, COPY, ENV, ... */
  keyword: string;
  /** The text after the keyword, continuation lines joined, variables not yet substituted. */
  args: string;
  /** 1-based line of the keyword, for error messages. */
  line: number;
}

export interface Stage {
  name: string;
  /** The FROM image, variables substituted. */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults (after --build-arg overrides). */
  globalArgs: Map<string, string>;
  stages: Stage[];
}

export class DockerfileError extends Error {}

/** Logical lines: comments and blank lines dropped, `\` continuations joined. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.trim();
    if (first === '' || first.startsWith('#')) continue;
    const start = i + 1;
    let joined = lines[i]!;
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      joined = joined.replace(/\\\s*$/, ' ');
      i++;
      const next = lines[i]!;
      // A comment line inside a continuation is dropped, as Docker does.
      if (!next.trim().startsWith('#')) joined += next;
    }
    const match = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(joined);
    if (!match) throw new DockerfileError(`Dockerfile line ${start}: cannot read \`${first}\``);
    out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start });
  }
  return out;
}

/** `$NAME` and `${NAME}` replaced from `vars` (unknown names become empty, as in Docker). */
export function substitute(text: string, vars: Map<string, string>): string {
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, braced, bare) => {
    const name = (braced ?? bare) as string;
    return vars.get(name) ?? '';
  });
}

/**
 * Shell-like words: whitespace separates, double and single quotes group, a
 * backslash escapes the next character outside single quotes.
 */
export function words(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) throw new DockerfileError(`unclosed ${quote} in \`${text}\``);
  if (inWord) out.push(current);
  return out;
}

/** `KEY=value KEY2="value two"` pairs (ENV, LABEL, ARG). */
export function pairs(text: string, where: string): [string, string][] {
  return words(text).map((word) => {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new DockerfileError(`${where}: expected KEY=value, got \`${word}\``);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/** The JSON (exec) form of CMD/ENTRYPOINT; the shell form is refused. */
export function execForm(text: string, where: string): string[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed;
  } catch {
    // fall through
  }
  throw new DockerfileError(
    `${where}: only the exec form (a JSON array of strings) is supported, got \`${text}\``,
  );
}

export function parseDockerfile(text: string, buildArgs: Map<string, string> = new Map()): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions(text)) {
    const where = `Dockerfile line ${instruction.line} (${instruction.keyword})`;
    if (instruction.keyword === 'FROM') {
      const parts = words(instruction.args).filter((word) => !word.startsWith('--platform='));
      const from = substitute(parts[0] ?? '', globalArgs);
      const name = parts.length === 3 && parts[1]!.toUpperCase() === 'AS' ? parts[2]! : String(stages.length);
      if (!from || (parts.length !== 1 && parts.length !== 3)) {
        throw new DockerfileError(`${where}: expected FROM image [AS name], got \`${instruction.args}\``);
      }
      stages.push({ name, from, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') {
        throw new DockerfileError(`${where}: only ARG may come before the first FROM`);
      }
      for (const word of words(instruction.args)) {
        const eq = word.indexOf('=');
        const name = eq === -1 ? word : word.slice(0, eq);
        globalArgs.set(name, buildArgs.get(name) ?? (eq === -1 ? '' : word.slice(eq + 1)));
      }
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  if (stages.length === 0) throw new DockerfileError('the Dockerfile has no FROM');
  return { globalArgs, stages };
}
