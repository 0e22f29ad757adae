import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadRootApp } from '../lib/root-app';

const FIXTURE = path.join(__dirname, 'fixtures', 'root-three-documents.yaml');
const REPO = 'https://gitlab.example.org/team/app.git';

describe('argocd/root.yaml loading', () => {
  it('returns every document in file order, Git sources and the root project pointed at the repository', () => {
    const manifests = loadRootApp({ repoUrl: REPO, targetRevision: undefined, file: FIXTURE });
    assert.deepEqual(manifests, [
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        // The locked-down default project is applied exactly as written: no repository added.
        metadata: { name: 'default', namespace: 'argocd' },
        spec: { sourceRepos: [], destinations: [] },
      },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'mlops-root', namespace: 'argocd' },
        // The placeholder is replaced, not kept beside the real URL.
        spec: {
          sourceRepos: [REPO],
          destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'argocd' }],
        },
      },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'mlops-root', namespace: 'argocd' },
        spec: {
          project: 'mlops-root',
          source: { repoURL: REPO, targetRevision: 'main', path: 'argocd' },
          destination: { server: 'https://kubernetes.default.svc', namespace: 'argocd' },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
          },
        },
      },
    ]);
  });

  it('overrides the target revision of Git sources only when one is configured', () => {
    const [, , app] = loadRootApp({ repoUrl: REPO, targetRevision: 'release', file: FIXTURE });
    assert.equal(app?.spec.source.targetRevision, 'release');
  });

  it('does not depend on how many documents the file holds', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'root-app-'));
    try {
      const one = path.join(dir, 'one.yaml');
      const application = fs.readFileSync(FIXTURE, 'utf8').split(/^---$/m)[2] as string;
      fs.writeFileSync(one, application);
      const manifests = loadRootApp({ repoUrl: REPO, targetRevision: undefined, file: one });
      assert.deepEqual(
        manifests.map((m) => `${m.kind}/${m.metadata.name}`),
        ['Application/mlops-root'],
      );
      assert.equal(manifests[0]?.spec.source.repoURL, REPO);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with a clear message when the file is missing, instead of applying a built-in copy', () => {
    const missing = path.join(os.tmpdir(), 'no-such-dir', 'root.yaml');
    assert.throws(
      () => loadRootApp({ repoUrl: REPO, targetRevision: undefined, file: missing }),
      new RegExp(`^Error: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist; .*full checkout`),
    );
  });

  it('refuses a document that is not a manifest and a file without an Application', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'root-app-'));
    try {
      const broken = path.join(dir, 'broken.yaml');
      fs.writeFileSync(broken, 'kind: Application\n---\nhello: world\n');
      assert.throws(
        () => loadRootApp({ repoUrl: REPO, targetRevision: undefined, file: broken }),
        /document 1 is not a Kubernetes manifest/,
      );
      const projectsOnly = path.join(dir, 'projects.yaml');
      fs.writeFileSync(projectsOnly, fs.readFileSync(FIXTURE, 'utf8').split(/^---$/m)[0] as string);
      assert.throws(
        () => loadRootApp({ repoUrl: REPO, targetRevision: undefined, file: projectsOnly }),
        /holds no Argo CD Application \(kinds: AppProject\)/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
