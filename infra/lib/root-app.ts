import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The app-of-apps manifest in Git that the cluster applies once; Argo CD then syncs the rest. */
export const ROOT_APP_FILE = path.join(__dirname, '..', '..', 'argocd', 'root.yaml');

export const ARGOCD_NAMESPACE = 'argocd';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes manifests are free-form objects
export type Manifest = Record<string, any>;

export interface RootAppOptions {
  readonly repoUrl: string;
  readonly targetRevision: string | undefined;
  /** Defaults to `argocd/root.yaml` of this repository. */
  readonly file?: string;
}

type Source = Record<string, unknown>;

/** Only Git sources (they have a `path`) move to our repository; Helm-repository sources keep theirs. */
function isGitSource(source: unknown): source is Source {
  return typeof source === 'object' && source !== null && typeof (source as Source).path === 'string';
}

function sourcesOf(manifest: Manifest): Source[] {
  const spec = manifest.spec ?? {};
  return [spec.source, ...(Array.isArray(spec.sources) ? spec.sources : [])].filter(isGitSource);
}

function readDocuments(file: string): Manifest[] {
  if (!fs.existsSync(file)) {
    // No embedded fallback: a second, hand-typed copy drifts from Git (issue 13, point 1).
    throw new Error(
      `${file} does not exist; the cluster stack applies the Argo CD root manifests from this file, so synthesise from a full checkout of the repository`,
    );
  }
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  const manifests: Manifest[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0)
      throw new Error(`${file} is not valid YAML: ${doc.errors[0]?.message}; fix the file`);
    const manifest = doc.toJS() as unknown;
    // An empty document (a stray `---`) is no manifest; anything else must be a whole one.
    if (manifest === null || manifest === undefined) return;
    const m = manifest as Manifest;
    if (typeof m !== 'object' || !m.apiVersion || !m.kind || !m.metadata?.name) {
      throw new Error(
        `${file}: document ${index + 1} is not a Kubernetes manifest (it needs apiVersion, kind and metadata.name); fix the file`,
      );
    }
    manifests.push(m);
  });
  return manifests;
}

/**
 * Reads every document of `argocd/root.yaml`, in order, so the cluster applies exactly what is
 * in Git, and points the Git sources at the configured repository (the file carries a
 * placeholder URL; the real one is only known per installation). The AppProjects the file's
 * Applications belong to are pointed at the repository too, so they may read it; any other
 * AppProject (a locked-down `default`) is applied exactly as written.
 */
export function loadRootApp(options: RootAppOptions): Manifest[] {
  const file = options.file ?? ROOT_APP_FILE;
  const manifests = readDocuments(file);
  const applications = manifests.filter((m) => m.kind === 'Application');
  if (applications.length === 0) {
    throw new Error(
      `${file} holds no Argo CD Application (kinds: ${manifests.map((m) => String(m.kind)).join(', ') || 'none'}); it must hold the root Application`,
    );
  }

  const placeholders = new Set<string>();
  for (const source of applications.flatMap(sourcesOf)) {
    if (typeof source.repoURL === 'string') placeholders.add(source.repoURL);
    source.repoURL = options.repoUrl;
    if (options.targetRevision !== undefined) source.targetRevision = options.targetRevision;
  }

  const projectsInUse = new Set(applications.map((app) => app.spec?.project ?? 'default'));
  for (const project of manifests.filter((m) => m.kind === 'AppProject')) {
    if (!projectsInUse.has(project.metadata.name)) continue;
    const repos = project.spec?.sourceRepos;
    if (!Array.isArray(repos) || repos.includes('*')) continue;
    const pointed = [...new Set(repos.map((repo) => (placeholders.has(repo) ? options.repoUrl : repo)))];
    if (!pointed.includes(options.repoUrl)) pointed.push(options.repoUrl);
    project.spec.sourceRepos = pointed;
  }
  return manifests;
}
