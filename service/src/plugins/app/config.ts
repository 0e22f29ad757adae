/** `fastify.config`: the validated configuration (see ../../config.ts). */
import fp from 'fastify-plugin';
import type { Config } from '../../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

export default fp<{ config: Config }>(
  async (fastify, opts) => {
    fastify.decorate('config', opts.config);
  },
  { name: 'config' },
);
