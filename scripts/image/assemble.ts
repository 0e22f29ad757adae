// Assembles the service image from the Dockerfile's final stage without a
// container build (issue 11, item 6; docs/image.md, "Two builders, one image"):
// the pinned base image's layers as they are, plus one reproducible layer per
// step of the final stage, built on this machine:
//   WORKDIR / COPY from the context  → the files, as they are in the context;
//   COPY --from=prod-deps            → scripts/image/install-prod-deps.sh run in a
//                                      scratch folder holding the `manifests`
//                                      stage's files; cached by those inputs;
//   COPY --from=build                → the `build` stage's RUN, run in the context
//                                      (which has the workspace's packages: `npm ci`);
//   ENV, LABEL, USER, EXPOSE, ...    → the image config, as the Dockerfile says.
// A warm build of a code-only change is the service's compile plus a few
// small tars; nothing is copied a second time (vfs) or run in a container.
// The Dockerfile stays the one definition: anything in it this file does not
// understand is an error, and test/image/image.test.ts proves that both builds
// give the same files and config.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  DockerfileError,
  execForm,
  type Instruction,
  pairs,
  parseDockerfile,
  type Stage,
  substitute,
  words,
} from './dockerfile.js';
import { type Layer, writeLayer } from './layer.js';
import {
  blobPath,
  CONFIG_MEDIA_TYPE,
  finishLayout,
  type HistoryEntry,
  type ImageConfigFile,
  importBlob,
  type Layout,
  linkOrCopy,
  MANIFEST_MEDIA_TYPE,
  readLayout,
  resolveDigest,
  writeBlob,
} from './oci.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
/** The builder stages this file knows how to reproduce outside a container (see the header). */
const PROD_DEPS_STAGE = 'prod-deps';
const BUILD_STAGE = 'build';
const MANIFESTS_STAGE = 'manifests';
/** The builder stages' WORKDIR: `COPY --from=<stage> /src/x` is x of the stage's folder here. */
const STAGE_WORKDIR = '/src';

export const USAGE = `Usage: npx tsx scripts/image/assemble.ts --output FILE [options]

Assembles the image the Dockerfile describes as an OCI archive, without a
container build. The context must have the workspace's packages installed
(npm ci). The last lines of stdout are KEY=VALUE: IMAGE_ARCHIVE, IMAGE_DIGEST
(the manifest digest), IMAGE_ID (the config digest, what buildah calls the id).

  --output FILE             the oci-archive to write (required)
  --context DIR             build context (default: the repository root)
  --file PATH               Dockerfile (default: <context>/Dockerfile)
  --commit SHA              GIT_COMMIT and the revision label (default: git rev-parse HEAD)
  --build-time RFC3339      BUILD_TIME, the created label and time (default: the
                            commit's committer time, so a commit gives one digest)
  --version VERSION         the version label (default: service version + short commit)
  --source URL              the source label (env CI_PROJECT_URL)
  --base-image REF          runtime base (default: the Dockerfile's pinned one); a
                            containers-image reference (docker://, oci-archive:,
                            containers-storage:) or a name (localhost/... is local)
  --platform OS/ARCH        linux/amd64 (default) or linux/arm64
  --tag NAME                the image name recorded in the archive (registry/repo:tag)
  --cache-dir DIR           cached layers and bases (default: $IMAGE_CACHE_DIR/assemble)
  --no-cache                build every layer again (a cold build)
  --tls-verify BOOL         verify TLS when reading a docker:// base (default true)
  -h, --help                this help`;

export class UsageError extends Error {}

export interface AssembleOptions {
  output: string;
  context: string;
  dockerfile: string;
  commit: string;
  buildTime: string;
  version: string;
  source?: string;
  baseImage?: string;
  platform: { os: string; arch: string };
  tag?: string;
  cacheDir?: string;
  tlsVerify: boolean;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface Assembled {
  archive: string;
  digest: string;
  imageId: string;
  /** Seconds per step, for the build-time report. */
  timings: Record<string, number>;
  /** Whether the production packages' layers came from the cache. */
  depsCached: boolean;
}

function git(context: string, args: string[]): string {
  return execFileSync('git', ['-C', context, ...args], { encoding: 'utf8' }).trim();
}

/** A time as UTC RFC 3339 without fractions (what the image's created label holds); unparseable stays as given. */
function rfc3339(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        output: { type: 'string' },
        context: { type: 'string' },
        file: { type: 'string' },
        commit: { type: 'string' },
        'build-time': { type: 'string' },
        version: { type: 'string' },
        source: { type: 'string' },
        'base-image': { type: 'string' },
        platform: { type: 'string' },
        tag: { type: 'string' },
        'cache-dir': { type: 'string' },
        'no-cache': { type: 'boolean' },
        'tls-verify': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): AssembleOptions | 'help' {
  const values = parseFlags(argv);
  if (values.help) return 'help';
  if (!values.output) throw new UsageError('--output FILE is required');
  const context = path.resolve(values.context ?? REPO_ROOT);
  if (!existsSync(context) || !statSync(context).isDirectory()) {
    throw new UsageError(`--context ${context} is not a folder`);
  }
  const dockerfile = path.resolve(values.file ?? path.join(context, 'Dockerfile'));
  if (!existsSync(dockerfile)) throw new UsageError(`Dockerfile ${dockerfile} not found`);
  const platform = /^linux\/(amd64|arm64)$/.exec(values.platform ?? 'linux/amd64');
  if (!platform) {
    throw new UsageError(`--platform must be linux/amd64 or linux/arm64, got ${values.platform}`);
  }
  let commit = values.commit ?? env.GIT_COMMIT ?? env.CI_COMMIT_SHA;
  if (!commit) {
    try {
      commit = git(context, ['rev-parse', 'HEAD']);
    } catch {
      throw new UsageError('no commit: pass --commit SHA, or run inside a git checkout');
    }
  }
  if (!/^[0-9a-f]{7,40}$/.test(commit))
    throw new UsageError(`--commit must be a hex commit SHA, got ${commit}`);
  // The commit's time: GitLab's CI_COMMIT_TIMESTAMP for this very commit, else git.
  let buildTime =
    values['build-time'] ??
    (env.CI_COMMIT_TIMESTAMP && commit === env.CI_COMMIT_SHA ? rfc3339(env.CI_COMMIT_TIMESTAMP) : undefined);
  if (!buildTime) {
    try {
      buildTime = git(context, ['show', '-s', '--format=%ct', commit]);
      buildTime = rfc3339(new Date(Number(buildTime) * 1000).toISOString());
    } catch {
      throw new UsageError(`cannot read the time of commit ${commit}: pass --build-time RFC3339`);
    }
  }
  if (Number.isNaN(Date.parse(buildTime)))
    throw new UsageError(`--build-time must be RFC 3339, got ${buildTime}`);
  const tls = values['tls-verify'] ?? 'true';
  if (tls !== 'true' && tls !== 'false')
    throw new UsageError(`--tls-verify must be true or false, got ${tls}`);
  let version = values.version;
  if (!version) {
    const pkg = JSON.parse(readFileSync(path.join(context, 'service', 'package.json'), 'utf8')) as {
      version: string;
    };
    version = `${pkg.version}+${commit.slice(0, 12)}`;
  }
  const cacheRoot =
    env.IMAGE_CACHE_DIR ??
    path.join(env.XDG_CACHE_HOME ?? path.join(env.HOME ?? tmpdir(), '.cache'), 'mlops-inference-chain');
  return {
    output: path.resolve(values.output),
    context,
    dockerfile,
    commit,
    buildTime,
    version,
    source: values.source ?? env.CI_PROJECT_URL,
    baseImage: values['base-image'],
    platform: { os: 'linux', arch: platform[1]! },
    tag: values.tag,
    cacheDir: values['no-cache']
      ? undefined
      : path.resolve(values['cache-dir'] ?? path.join(cacheRoot, 'assemble')),
    tlsVerify: tls === 'true',
    env,
    log: (line) => process.stderr.write(`assemble: ${line}\n`),
  };
}

/** A reference as containers-image tools take it: names without a transport are registry images, localhost/ ones local. */
export function transportReference(reference: string): string {
  if (/^(docker|oci|oci-archive|docker-archive|containers-storage|dir):/.test(reference)) return reference;
  if (reference.startsWith('localhost/')) return `containers-storage:${reference}`;
  return `docker://${reference}`;
}

function sha256(...parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `\`${command} ${args.join(' ')}\` in ${cwd} failed (exit ${code}):\n${output.trim().slice(-4000)}`,
          ),
        );
    });
  });
}

function stageNamed(stages: Stage[], name: string): Stage {
  const stage = stages.find((candidate) => candidate.name === name);
  if (!stage)
    throw new DockerfileError(
      `the Dockerfile has no stage \`${name}\`, which scripts/image/assemble.ts reproduces`,
    );
  return stage;
}

/** The final-stage steps the assembler replays (the switch in assemble()). */
const REPLAYED = new Set([
  'ARG',
  'ENV',
  'LABEL',
  'USER',
  'EXPOSE',
  'STOPSIGNAL',
  'ENTRYPOINT',
  'CMD',
  'WORKDIR',
  'COPY',
]);

function unreplayable(instruction: Instruction): DockerfileError {
  return new DockerfileError(
    `Dockerfile line ${instruction.line} (${instruction.keyword}): the final stage may hold only COPY and metadata steps for the assembler (build a Dockerfile that needs more with scripts/build-image.sh, i.e. buildah)`,
  );
}

interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

function parseCopy(instruction: Instruction, vars: Map<string, string>): Copy {
  const where = `Dockerfile line ${instruction.line} (COPY)`;
  const parts = words(substitute(instruction.args, vars));
  let from: string | undefined;
  while (parts[0]?.startsWith('--')) {
    const flag = parts.shift()!;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
    else throw new DockerfileError(`${where}: ${flag} is not supported by the assembler`);
  }
  if (parts.length < 2) throw new DockerfileError(`${where}: expected COPY src... dest`);
  const dest = parts.pop()!;
  for (const source of parts) {
    if (/[*?[]/.test(source)) throw new DockerfileError(`${where}: wildcards are not supported (${source})`);
  }
  return { from, sources: parts, dest };
}

/** Copies the context files a stage's COPY lines name into `root` (the stage's WORKDIR). */
function replayContextCopies(stage: Stage, context: string, root: string): void {
  for (const instruction of stage.instructions) {
    if (instruction.keyword !== 'COPY') continue;
    const copy = parseCopy(instruction, new Map());
    if (copy.from) continue;
    for (const source of copy.sources) {
      const from = path.join(context, source);
      const to = copy.dest.endsWith('/')
        ? path.join(root, copy.dest, path.basename(source))
        : path.join(root, copy.dest);
      mkdirSync(path.dirname(to), { recursive: true });
      cpSync(from, to, { recursive: true });
    }
  }
}

/** A file or folder into a layer's staging tree, hard-linked where possible (nothing is copied twice). */
function stage(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  try {
    execFileSync('cp', ['-al', from, to], { stdio: 'pipe' });
  } catch {
    rmSync(to, { recursive: true, force: true });
    execFileSync('cp', ['-a', from, to], { stdio: 'pipe' });
  }
}

export async function assemble(options: AssembleOptions): Promise<Assembled> {
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      timings[name] = Math.round((performance.now() - start) / 100) / 10;
    }
  };
  const buildArgs = new Map<string, string>([
    ['GIT_COMMIT', options.commit],
    ['BUILD_TIME', options.buildTime],
    ['VERSION', options.version],
    ['TARGETOS', options.platform.os],
    ['TARGETARCH', options.platform.arch],
  ]);
  if (options.source) buildArgs.set('SOURCE_URL', options.source);
  if (options.baseImage) buildArgs.set('BASE_IMAGE', options.baseImage);
  const dockerfile = parseDockerfile(readFileSync(options.dockerfile, 'utf8'), buildArgs);
  const final = dockerfile.stages.at(-1)!;
  // Refuse a final stage it cannot replay before any slow step runs.
  for (const instruction of final.instructions) {
    if (!REPLAYED.has(instruction.keyword)) throw unreplayable(instruction);
  }
  const work = mkdtempSync(path.join(tmpdir(), 'assemble-'));
  const layout = path.join(work, 'layout');
  const blobs = path.join(layout, 'blobs', 'sha256');
  try {
    const [base, deps] = await Promise.all([
      timed('base', () => baseLayout(final.from, options, work)),
      timed('prod-deps', () => prodDeps(dockerfile.stages, options, work)),
      timed('build', () => runBuildStage(dockerfile.stages, options)),
    ]);
    const roots = new Map<string, string>([
      [PROD_DEPS_STAGE, deps.root],
      [BUILD_STAGE, options.context],
    ]);
    /** The production packages' layers, in COPY order: from the cache, or built now and cached after. */
    const depsLayers: Layer[] = [];

    const config: ImageConfigFile = structuredClone(base.config);
    config.created = options.buildTime;
    config.architecture = options.platform.arch;
    config.os = options.platform.os;
    const history: HistoryEntry[] = [...(config.history ?? [])];
    const layers: Layer[] = [];
    const vars = new Map<string, string>();
    const envList = [...(config.config.Env ?? [])];
    const setEnv = (key: string, value: string) => {
      const at = envList.findIndex((entry) => entry.startsWith(`${key}=`));
      if (at === -1) envList.push(`${key}=${value}`);
      else envList[at] = `${key}=${value}`;
      vars.set(key, value);
    };
    let workdir = config.config.WorkingDir || '/';
    let layerIndex = 0;

    const addLayer = async (createdBy: string, fill: (staging: string) => void, cached?: Layer) => {
      let layer = cached;
      if (layer) {
        importBlob(deps.blob(layer.digest), layout, layer.digest);
      } else {
        const staging = path.join(work, `layer-${layerIndex++}`);
        mkdirSync(staging);
        fill(staging);
        layer = await writeLayer(staging, blobs);
        rmSync(staging, { recursive: true, force: true });
      }
      layers.push(layer);
      history.push({
        created: options.buildTime,
        created_by: createdBy,
        comment: 'scripts/image/assemble.ts',
      });
      return layer;
    };
    const metadata = (createdBy: string) =>
      history.push({
        created: options.buildTime,
        created_by: createdBy,
        comment: 'scripts/image/assemble.ts',
        empty_layer: true,
      });

    await timed('layers', async () => {
      for (const instruction of final.instructions) {
        const where = `Dockerfile line ${instruction.line} (${instruction.keyword})`;
        const text = substitute(instruction.args, vars);
        const createdBy = `${instruction.keyword} ${text}`;
        switch (instruction.keyword) {
          case 'ARG':
            for (const word of words(instruction.args)) {
              const eq = word.indexOf('=');
              const name = eq === -1 ? word : word.slice(0, eq);
              if (!vars.has(name))
                vars.set(
                  name,
                  buildArgs.get(name) ??
                    dockerfile.globalArgs.get(name) ??
                    (eq === -1 ? '' : word.slice(eq + 1)),
                );
            }
            break;
          case 'ENV':
            for (const [key, value] of pairs(text, where)) setEnv(key, value);
            metadata(createdBy);
            break;
          case 'LABEL':
            config.config.Labels = { ...(config.config.Labels ?? {}) };
            for (const [key, value] of pairs(text, where)) config.config.Labels[key] = value;
            metadata(createdBy);
            break;
          case 'USER':
            config.config.User = text;
            metadata(createdBy);
            break;
          case 'EXPOSE':
            config.config.ExposedPorts = { ...(config.config.ExposedPorts ?? {}) };
            for (const port of words(text))
              config.config.ExposedPorts[port.includes('/') ? port : `${port}/tcp`] = {};
            metadata(createdBy);
            break;
          case 'STOPSIGNAL':
            config.config.StopSignal = text;
            metadata(createdBy);
            break;
          case 'ENTRYPOINT':
            config.config.Entrypoint = execForm(text, where);
            // As in Docker: a new ENTRYPOINT drops the CMD inherited from the base.
            config.config.Cmd = null;
            metadata(createdBy);
            break;
          case 'CMD':
            config.config.Cmd = execForm(text, where);
            metadata(createdBy);
            break;
          case 'WORKDIR': {
            workdir = path.posix.resolve(workdir, text);
            const dir = workdir;
            config.config.WorkingDir = dir;
            await addLayer(createdBy, (staging) => mkdirSync(path.join(staging, dir), { recursive: true }));
            break;
          }
          case 'COPY': {
            const copy = parseCopy(instruction, vars);
            const dest = path.posix.resolve(workdir, copy.dest) + (copy.dest.endsWith('/') ? '/' : '');
            const fromRoot = copy.from ? roots.get(copy.from) : options.context;
            if (!fromRoot) {
              throw new DockerfileError(
                `${where}: COPY --from=${copy.from} is not a stage the assembler reproduces (${[...roots.keys()].join(', ')})`,
              );
            }
            const sources = copy.sources.map((source) => {
              if (!copy.from) return path.join(options.context, source);
              if (!source.startsWith(`${STAGE_WORKDIR}/`)) {
                throw new DockerfileError(
                  `${where}: COPY --from=${copy.from} must copy from ${STAGE_WORKDIR}/ (got ${source})`,
                );
              }
              return path.join(fromRoot, source.slice(STAGE_WORKDIR.length + 1));
            });
            const fromDeps = copy.from === PROD_DEPS_STAGE;
            // Cached production packages: nothing was installed, and nothing is read.
            for (const source of fromDeps && deps.cached ? [] : sources) {
              if (!existsSync(source)) throw new DockerfileError(`${where}: ${source} does not exist`);
              if (!copy.from && statSync(source).isDirectory()) {
                // .dockerignore is not read here: a folder from the context could carry what it excludes.
                throw new DockerfileError(
                  `${where}: the assembler copies files from the context, not folders (${source})`,
                );
              }
            }
            if (sources.length > 1 && !dest.endsWith('/'))
              throw new DockerfileError(`${where}: several sources need a dest ending in /`);
            const layer = await addLayer(
              createdBy,
              (staging) => {
                for (const source of sources) {
                  const isDir = statSync(source).isDirectory();
                  const target =
                    dest.endsWith('/') && !isDir ? path.posix.join(dest, path.basename(source)) : dest;
                  stage(source, path.join(staging, target));
                }
              },
              fromDeps ? deps.cached?.[depsLayers.length] : undefined,
            );
            if (fromDeps) depsLayers.push(layer);
            break;
          }
          default:
            throw unreplayable(instruction);
        }
      }
    });
    if (!deps.cached) deps.save(depsLayers, blobs);
    config.config.Env = envList;
    config.rootfs = {
      type: 'layers',
      diff_ids: [...base.config.rootfs.diff_ids, ...layers.map((layer) => layer.diffId)],
    };
    config.history = history;

    const manifest = await timed('write', () => {
      for (const blob of [base.manifest.config, ...base.manifest.layers]) {
        importBlob(blobPath(base.dir, blob.digest), layout, blob.digest);
      }
      const configBlob = writeBlob(layout, CONFIG_MEDIA_TYPE, JSON.stringify(config));
      const manifestBody = {
        schemaVersion: 2 as const,
        mediaType: MANIFEST_MEDIA_TYPE,
        config: configBlob,
        layers: [
          ...base.manifest.layers,
          ...layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
        ],
      };
      const descriptor = finishLayout(layout, manifestBody, options.output, options.tag);
      return { descriptor, configBlob };
    });
    return {
      archive: options.output,
      digest: manifest.descriptor.digest,
      imageId: manifest.configBlob.digest.slice('sha256:'.length),
      timings,
      depsCached: deps.cached !== undefined,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The base image as an OCI layout, cached by the digest it resolves to. */
async function baseLayout(reference: string, options: AssembleOptions, work: string): Promise<Layout> {
  const source = transportReference(reference);
  const pinned = /@sha256:[0-9a-f]{64}$/.test(source)
    ? source
    : `${source}@${resolveDigest(source, options.env, options.tlsVerify)}`;
  const key = sha256('base', pinned, options.platform.os, options.platform.arch);
  const dir = options.cacheDir ? path.join(options.cacheDir, 'bases', key) : path.join(work, 'base');
  if (existsSync(path.join(dir, 'index.json'))) return readLayout(dir);
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(path.dirname(partial), { recursive: true });
  options.log(`base: copying ${source} (${options.platform.os}/${options.platform.arch})`);
  const args = [
    'copy',
    '--quiet',
    '--override-os',
    options.platform.os,
    '--override-arch',
    options.platform.arch,
  ];
  if (source.startsWith('docker://')) args.push(`--src-tls-verify=${options.tlsVerify}`);
  await run('skopeo', [...args, source, `oci:${partial}:base`], work, options.env);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return readLayout(dir);
}

interface ProdDeps {
  /** The installed folder (empty when every layer came from the cache). */
  root: string;
  /** The layers of the final stage's `COPY --from=prod-deps` steps, in order, when cached. */
  cached?: Layer[];
  /** Where a cached blob is. */
  blob(digest: string): string;
  /** Caches the layers built from `root` (their blobs are in `blobsDir`). */
  save(layers: Layer[], blobsDir: string): void;
}

/**
 * The `prod-deps` stage on this machine: the `manifests` stage's files in a
 * scratch folder, then scripts/image/install-prod-deps.sh (the stage's RUN).
 * Its layers are cached by everything that decides them: the recipe, the
 * manifests and lockfile, the platform, node's and npm's versions and the
 * final stage's COPY lines; a code-only change installs nothing.
 */
async function prodDeps(stages: Stage[], options: AssembleOptions, work: string): Promise<ProdDeps> {
  const prodDepsStage = stageNamed(stages, PROD_DEPS_STAGE);
  const manifests = stageNamed(stages, MANIFESTS_STAGE);
  const runs = prodDepsStage.instructions.filter((instruction) => instruction.keyword === 'RUN');
  if (
    runs.length !== 1 ||
    !runs[0]!.args.includes('install-prod-deps.sh') ||
    prodDepsStage.from !== MANIFESTS_STAGE
  ) {
    throw new DockerfileError(
      `the Dockerfile's ${PROD_DEPS_STAGE} stage is no longer \`FROM ${MANIFESTS_STAGE}\` + one RUN of install-prod-deps.sh: update scripts/image/assemble.ts`,
    );
  }
  const root = path.join(work, 'prod-deps');
  mkdirSync(root);
  replayContextCopies(manifests, options.context, root);
  const recipe = ['install-prod-deps.sh', 'prune-node-modules.mjs'].map((file) =>
    readFileSync(path.join(REPO_ROOT, 'scripts', 'image', file)),
  );
  const inputs = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();
  const copies = stages
    .at(-1)!
    .instructions.filter(
      (instruction) =>
        instruction.keyword === 'COPY' && instruction.args.includes(`--from=${PROD_DEPS_STAGE}`),
    )
    .map((instruction) => instruction.args);
  const versions = execFileSync('sh', ['-c', 'node --version; npm --version'], {
    env: options.env,
    encoding: 'utf8',
  });
  const key = sha256(
    'prod-deps layers v1',
    ...recipe,
    ...inputs.flatMap((file) => [file, readFileSync(path.join(root, file))]),
    ...copies,
    // The two stages' own lines (a changed RUN or ENV there is a changed recipe).
    ...[...manifests.instructions, ...prodDepsStage.instructions].map((i) => `${i.keyword} ${i.args}`),
    manifests.from,
    options.platform.os,
    options.platform.arch,
    versions,
  );
  const cacheDir = options.cacheDir ? path.join(options.cacheDir, 'layers') : undefined;
  const index = cacheDir ? path.join(cacheDir, `prod-deps-${key}.json`) : undefined;
  const blob = (digest: string) => path.join(cacheDir ?? work, digest.replace('sha256:', ''));
  const save = (layers: Layer[], blobsDir: string) => {
    if (!cacheDir || !index) return;
    for (const layer of layers)
      linkOrCopy(path.join(blobsDir, layer.digest.replace('sha256:', '')), blob(layer.digest));
    writeFileSync(`${index}.partial`, JSON.stringify(layers));
    renameSync(`${index}.partial`, index);
  };
  if (index && existsSync(index)) {
    const cached = JSON.parse(readFileSync(index, 'utf8')) as Layer[];
    if (cached.length === copies.length && cached.every((layer) => existsSync(blob(layer.digest)))) {
      options.log(`prod-deps: cached (${key.slice(0, 12)})`);
      return { root, cached, blob, save };
    }
  }
  options.log(
    `prod-deps: installing the production packages (${options.platform.os}/${options.platform.arch})`,
  );
  await run('sh', [path.join(REPO_ROOT, 'scripts', 'image', 'install-prod-deps.sh')], root, {
    ...options.env,
    TARGETOS: options.platform.os,
    TARGETARCH: options.platform.arch,
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
    NPM_CONFIG_FUND: 'false',
    NPM_CONFIG_AUDIT: 'false',
  });
  return { root, blob, save };
}

/** The `build` stage's RUN (the service's compile), in the context, where `npm ci` installed its packages. */
async function runBuildStage(stages: Stage[], options: AssembleOptions): Promise<void> {
  const build = stageNamed(stages, BUILD_STAGE);
  const runs = build.instructions.filter((instruction) => instruction.keyword === 'RUN');
  if (runs.length !== 1 || runs[0]!.args.startsWith('--') || runs[0]!.args.startsWith('[')) {
    throw new DockerfileError(
      `the Dockerfile's ${BUILD_STAGE} stage is no longer one plain RUN: update scripts/image/assemble.ts`,
    );
  }
  if (!existsSync(path.join(options.context, 'node_modules'))) {
    throw new DockerfileError(
      `${options.context} has no node_modules: run \`npm ci\` there first (the build stage compiles with its packages)`,
    );
  }
  await run('sh', ['-c', runs[0]!.args], options.context, options.env);
}

async function main(): Promise<void> {
  let options: AssembleOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`assemble: ${error.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const start = performance.now();
  try {
    const result = await assemble(options);
    const seconds = ((performance.now() - start) / 1000).toFixed(1);
    options.log(
      `assembled ${options.tag ?? 'the image'} in ${seconds} s (${Object.entries(result.timings)
        .map(([step, s]) => `${step} ${s} s`)
        .join(', ')}; production packages ${result.depsCached ? 'cached' : 'installed'})`,
    );
    process.stdout.write(
      `IMAGE_ARCHIVE=${result.archive}\nIMAGE_DIGEST=${result.digest}\nIMAGE_ID=${result.imageId}\n`,
    );
  } catch (error) {
    process.stderr.write(`assemble: ${(error as Error).message}\n`);
    process.exit(error instanceof DockerfileError ? 2 : 1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
