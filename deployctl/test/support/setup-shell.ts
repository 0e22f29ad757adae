/**
 * A RECORDING SHELL RUNNER for `deployctl setup`/`teardown` tests: no AWS
 * account, cluster or CDK deploy is reachable here, so the commands setup
 * would run (the cdk CLI, aws, kubectl, git) are recorded with their exact
 * arguments and answered the way those tools answer: `cdk deploy
 * --outputs-file` writes the outputs file in cdk's shape ({stack: {key:
 * value}}) and prints "(no changes)" on a redeploy, `aws secretsmanager`
 * returns or stores a secret, `kubectl get secret` a base64 value. The AWS
 * side itself is tested by synthesis in infra/test.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DeployctlError } from '../../src/exit-codes.js';
import type { ShellRunner } from '../../src/setup-run.js';

export const ACCOUNT = '111122223333';

export function getStackOutputs(
  exposed: boolean,
): Record<'MlopsRegistry' | 'MlopsCluster', Record<string, string>> {
  return {
    MlopsRegistry: {
      ProdGitLabCiRoleArn: `arn:aws:iam::${ACCOUNT}:role/MlopsRegistry-ProdGitlabCiRole-1A2B3C`,
      DevGitLabCiRoleArn: `arn:aws:iam::${ACCOUNT}:role/MlopsRegistry-DevGitlabCiRole-4D5E6F`,
      ProdRepositoryName: 'mlops-inference-service',
      DevRepositoryName: 'mlops-inference-service-dev',
      GitlabOidcAudience: 'https://gitlab.com',
    },
    MlopsCluster: {
      ClusterName: 'mlops',
      KubeconfigCommand: 'aws eks update-kubeconfig --region eu-central-1 --name mlops',
      ArgoCdWebhookSecretName: 'mlops/argocd/gitlab-webhook',
      ArgoCdRepoCredentialsSecretName: 'mlops/argocd/gitlab-repository',
      ...(exposed
        ? {
            ArgoCdServer: 'argocd.example.com',
            ArgoCdUrl: 'https://argocd.example.com',
            ArgoCdWebhookUrl: 'https://argocd.example.com/api/webhook',
          }
        : { ArgoCdPortForwardCommand: 'kubectl port-forward svc/argocd-server -n argocd 8080:443' }),
    },
  };
}

export interface RecordingShell {
  runner: ShellRunner;
  calls: { argv: string[]; cwd: string }[];
  outputs: ReturnType<typeof getStackOutputs>;
  /** Secrets Manager as put-secret-value left it. */
  secrets: Map<string, string>;
  /** Whether argocd/ has uncommitted changes (set-argocd-repo.sh made some). */
  argocdDirty: boolean;
  /** The argv of every call, joined by spaces, `<state>` standing for the state directory. */
  commands(stateDir: string): string[];
}

export function createRecordingShell(options: {
  exposed: boolean;
  webhookSecret: string;
  adminPassword: string;
}): RecordingShell {
  const deployed = new Set<string>();
  const destroyed = new Set<string>();
  let pointed = false;
  const shell: RecordingShell = {
    calls: [],
    outputs: getStackOutputs(options.exposed),
    secrets: new Map([[`mlops/argocd/gitlab-webhook`, options.webhookSecret]]),
    argocdDirty: false,
    commands: (stateDir) => shell.calls.map(({ argv }) => argv.join(' ').replaceAll(stateDir, '<state>')),
    runner: async (argv, { cwd }) => {
      shell.calls.push({ argv, cwd });
      const line = argv.join(' ');
      const arg = (flag: string) => argv[argv.indexOf(flag) + 1] ?? '';
      if (line.startsWith('npx cdk deploy ') || line.startsWith('npx cdk bootstrap')) {
        const stack = argv[3] === undefined || argv[2] === 'bootstrap' ? 'bootstrap' : argv[3];
        const again = deployed.has(stack);
        deployed.add(stack);
        if (argv.includes('--outputs-file')) {
          const name = stack as keyof typeof shell.outputs;
          writeFileSync(arg('--outputs-file'), JSON.stringify({ [name]: shell.outputs[name] }, null, 2));
        }
        return { stdout: '', stderr: again ? ` ✅  ${stack} (no changes)\n` : ` ✅  ${stack}\n` };
      }
      if (line.startsWith('aws cloudformation describe-stacks') && argv.includes('Stacks[0].StackStatus')) {
        const stack = arg('--stack-name');
        if (!deployed.has(stack) || destroyed.has(stack)) {
          throw new DeployctlError(
            'network',
            `\`${line}\` exited with 254: An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id ${stack} does not exist`,
          );
        }
        return { stdout: 'CREATE_COMPLETE\n', stderr: '' };
      }
      if (line.startsWith('npx cdk destroy')) destroyed.add(argv[3] ?? '');
      if (line.startsWith('aws sts get-caller-identity')) {
        return {
          stdout: JSON.stringify({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/admin` }),
          stderr: '',
        };
      }
      if (line.startsWith('aws secretsmanager get-secret-value')) {
        return { stdout: `${shell.secrets.get(arg('--secret-id')) ?? ''}\n`, stderr: '' };
      }
      if (line.startsWith('aws secretsmanager put-secret-value')) {
        shell.secrets.set(
          arg('--secret-id'),
          readFileSync(arg('--secret-string').replace(/^file:\/\//, ''), 'utf8'),
        );
        return { stdout: '{}', stderr: '' };
      }
      if (line.startsWith('aws eks update-kubeconfig')) return { stdout: 'Updated context\n', stderr: '' };
      if (line.startsWith('kubectl -n argocd get secret argocd-initial-admin-secret')) {
        return { stdout: Buffer.from(options.adminPassword).toString('base64'), stderr: '' };
      }
      if (line.startsWith('bash scripts/set-argocd-repo.sh')) {
        if (!pointed) shell.argocdDirty = true;
        pointed = true;
        return { stdout: '', stderr: '' };
      }
      if (line === 'git status --porcelain -- argocd') {
        return { stdout: shell.argocdDirty ? ' M argocd/application.yaml\n' : '', stderr: '' };
      }
      if (line.startsWith('git commit')) {
        shell.argocdDirty = false;
        return { stdout: '', stderr: '' };
      }
      if (line.startsWith('git push') || line.startsWith('kubectl') || line.startsWith('npx cdk destroy')) {
        if (line.startsWith('kubectl get ingress')) return { stdout: '{"items":[]}', stderr: '' };
        return { stdout: '', stderr: '' };
      }
      if (line.startsWith('aws elbv2 describe-load-balancers')) return { stdout: '[]', stderr: '' };
      throw new Error(`recording shell: no answer for \`${line}\``);
    },
  };
  return shell;
}
