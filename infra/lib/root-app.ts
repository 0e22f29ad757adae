import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The app-of-apps manifest in Git that the cluster applies once; Argo CD then syncs the rest. */
export const ROOT_APP_FILE = path.join(__dirname, '..', '..', 'argocd', 'root.yaml');

export const ARGOCD_NAMESPACE = 'argocd';

type Manifest = Record<string, unknown> & { kind?: unknown; spec?: Record<string, unknown> };

export interface RootAppOptions {
  readonly repoUrl: string;
  readonly targetRevision: string | undefined;
  /** Defaults to `argocd/root.yaml` of this repository. */
  readonly file?: string;
}

/** Name of the root Application in `argocd/root.yaml`. */
export const ROOT_APP_NAME = 'mlops-root';

/**
 * Used only when `argocd/root.yaml` is absent (for example, synthesising from a trimmed copy):
 * the same spec as the file, an app-of-apps over the three manifests in `argocd/`.
 */
function embeddedRootApp(): Manifest[] {
  return [
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: ROOT_APP_NAME, namespace: ARGOCD_NAMESPACE },
      spec: {
        project: 'default',
        source: {
          repoURL: 'https://gitlab.com/your-group/mlops-inference-chain.git',
          targetRevision: 'main',
          path: 'argocd',
          directory: { recurse: false, include: '{project.yaml,application.yaml,application-dev.yaml}' },
        },
        destination: { server: 'https://kubernetes.default.svc', namespace: ARGOCD_NAMESPACE },
        syncPolicy: {
          automated: { prune: true, selfHeal: true, allowEmpty: false },
          syncOptions: ['PruneLast=true'],
        },
      },
    },
  ];
}

function pointAtRepo(source: unknown, options: RootAppOptions): void {
  if (typeof source !== 'object' || source === null) return;
  const s = source as Record<string, unknown>;
  // Only Git sources (they have a `path`) move to our repository; Helm-repository sources keep theirs.
  if (typeof s.path !== 'string') return;
  s.repoURL = options.repoUrl;
  if (options.targetRevision !== undefined) s.targetRevision = options.targetRevision;
}

/**
 * Reads the root Application(s) from `argocd/root.yaml` at synth time, so the cluster applies
 * exactly what is in Git, and points their Git sources at the configured repository (the file
 * in Git may carry a placeholder URL; the real one is only known per installation).
 */
export function loadRootApp(options: RootAppOptions): Manifest[] {
  const file = options.file ?? ROOT_APP_FILE;
  let manifests: Manifest[];
  if (fs.existsSync(file)) {
    const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
    for (const doc of docs) {
      if (doc.errors.length > 0)
        throw new Error(`${file} is not valid YAML: ${doc.errors[0]?.message}; fix the file`);
    }
    manifests = docs.map((doc) => doc.toJS() as Manifest).filter((m) => m !== null && typeof m === 'object');
  } else {
    manifests = embeddedRootApp();
  }
  const apps = manifests.filter((m) => m.kind === 'Application');
  if (apps.length === 0) {
    throw new Error(
      `${file} holds no Argo CD Application (kinds: ${manifests.map((m) => String(m.kind)).join(', ')})`,
    );
  }
  for (const manifest of manifests) {
    const spec = manifest.spec ?? {};
    if (manifest.kind === 'Application') {
      pointAtRepo(spec.source, options);
      if (Array.isArray(spec.sources)) for (const source of spec.sources) pointAtRepo(source, options);
    }
    // An AppProject that lists its allowed repositories must allow ours.
    if (
      manifest.kind === 'AppProject' &&
      Array.isArray(spec.sourceRepos) &&
      !spec.sourceRepos.includes('*')
    ) {
      if (!spec.sourceRepos.includes(options.repoUrl)) spec.sourceRepos.push(options.repoUrl);
    }
  }
  return manifests;
}
