/** Liveness, readiness and version shapes. */
import Type from 'typebox';
import { ModelRef } from './predict.js';

export const Ok = Type.Object({ status: Type.Literal('ok') });
export const NotReady = Type.Object(
  {
    status: Type.Literal('not-ready'),
    reason: Type.String({ description: 'Why: loading, warm-up failed, or shutting down' }),
  },
  { description: 'Not ready: do not send traffic' },
);

export const VersionResponse = Type.Object({
  commit: Type.String({ description: 'Git commit the image was built from (GIT_COMMIT)' }),
  buildTime: Type.String({ description: 'Build time (BUILD_TIME)' }),
  model: ModelRef,
  instanceId: Type.String({ description: 'This process (INSTANCE_ID, default hostname-pid)' }),
  node: Type.String({ description: 'The Node.js version this process runs on, e.g. 24.21.0' }),
});
