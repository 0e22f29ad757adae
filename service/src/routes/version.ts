/** GET /version: which build and model this replica runs (the pipeline polls it after a deploy). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { COMMON_ERRORS, errorResponses } from '../schemas/common.js';
import { VersionResponse } from '../schemas/health.js';

const versionRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config, model } = fastify;
  const version = {
    commit: config.gitCommit,
    buildTime: config.buildTime,
    model: { name: model.card.name, version: model.card.version },
    instanceId: config.instanceId,
    // The runtime, so a rollout that changed the base image shows which Node.js
    // each replica really runs (the project pins one LTS major: .node-version).
    node: process.versions.node,
  };
  fastify.get(
    '/version',
    {
      schema: {
        tags: ['operations'],
        summary: 'Commit, build time, model and instance id',
        response: { 200: VersionResponse, ...errorResponses(COMMON_ERRORS) },
      },
    },
    async () => version,
  );
};

export default versionRoutes;
