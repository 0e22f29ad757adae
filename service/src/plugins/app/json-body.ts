/**
 * The only body parser: `application/json` (any charset parameter), UTF-8 checked before it is
 * decoded (Node would silently turn bad bytes into U+FFFD), then Fastify's own JSON parser
 * (secure-json-parse: rejects __proto__/constructor poisoning). Any other content type: 415.
 */
import { isUtf8 } from 'node:buffer';
import fp from 'fastify-plugin';
import { ApiError } from '../../errors.js';

export default fp(
  async (fastify) => {
    const parseJson = fastify.getDefaultJsonParser('error', 'error');
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: fastify.config.bodyLimitBytes },
      (request, body, done) => {
        const bytes = body as Buffer;
        if (!isUtf8(bytes)) {
          done(new ApiError('INVALID_UTF8'), undefined);
          return;
        }
        if (bytes.length === 0) {
          done(
            new ApiError('INVALID_JSON', 'The body is empty; send a JSON object such as {"input": "text"}.'),
          );
          return;
        }
        parseJson(request, bytes.toString('utf8'), done);
      },
    );
  },
  { name: 'json-body', dependencies: ['config'] },
);
