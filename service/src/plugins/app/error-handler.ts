/**
 * The one error handler, the 404 handler and 405 (a known path with another method).
 * Every error leaves as `{"error": {"code", "message"}}` with a code from ../../error-codes.ts
 * (`{"error": "message"}` under /v2, the Open Inference Protocol's shape). 5xx internals are
 * logged with the request id and never sent to the client.
 */
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError, ERRORS, type ErrorCode } from '../../error-codes.js';
import { QueueFullError } from '../../model/batcher.js';
import { ModelNotReadyError } from '../../model/model.js';

// Fastify's own error codes that are the client's fault, and what they mean here.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_MAX_PARAM_LENGTH: 'NOT_FOUND',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_REQUEST',
  FST_ERR_BAD_URL: 'MALFORMED_REQUEST',
};

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turns a schema violation into a code and a message that says what to fix. */
function fromValidation(errors: AjvError[], context: string): ApiError {
  // A failed anyOf or propertyNames lists its sub-schemas' errors first; its own error says more.
  const e = errors.find((x) => x.keyword === 'anyOf' || x.keyword === 'propertyNames') ?? errors[0];
  if (e === undefined) return new ApiError('INVALID_REQUEST');
  // "/inputs/3" → "inputs[3]"
  const where =
    e.instancePath
      .replace(/^\//, '')
      .replace(/\/(\d+)/g, '[$1]')
      .replace(/\//g, '.') || context;
  const limit = e.params.limit;
  switch (e.keyword) {
    case 'minLength':
      return new ApiError('EMPTY_INPUT', `"${where}" is empty; send at least ${limit} character(s).`);
    case 'maxLength':
      return new ApiError('INPUT_TOO_LONG', `"${where}" is longer than ${limit} characters; shorten it.`);
    case 'maxItems':
      return new ApiError(
        'TOO_MANY_ITEMS',
        `"${where}" has more than ${limit} items; send at most ${limit}.`,
      );
    case 'minItems':
      return new ApiError(
        'EMPTY_INPUT',
        `"${where}" has fewer than ${limit} item(s); send at least ${limit}.`,
      );
    case 'minProperties':
    case 'maxProperties':
      // On the body: POST /predict's "exactly one of input/inputs".
      if (e.instancePath === '') return new ApiError('MISSING_INPUT');
      return new ApiError('INVALID_REQUEST', `"${where}" ${e.message ?? 'has too many entries'}; see /docs.`);
    case 'const':
      return new ApiError(
        'INVALID_REQUEST',
        `"${where}" must be ${JSON.stringify(e.params.allowedValue)}; see /docs.`,
      );
    case 'enum':
      return new ApiError(
        'INVALID_REQUEST',
        `"${where}" must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}.`,
      );
    case 'propertyNames':
      return new ApiError(
        'INVALID_REQUEST',
        `"${where}" has an invalid key ${JSON.stringify(String(e.params.propertyName).slice(0, 80))}; see /docs.`,
      );
    case 'anyOf':
      return new ApiError(
        'INVALID_REQUEST',
        where.startsWith('inputs')
          ? `"${where}" does not fit together: send shape [n] with n texts in data, or [n, 1] with n one-text arrays.`
          : `"${where}" matches none of the accepted forms; see /docs.`,
      );
    case 'additionalProperties':
      return new ApiError(
        'INVALID_REQUEST',
        `Unknown property "${String(e.params.additionalProperty)}" in ${where}; see /docs for the accepted fields.`,
      );
    case 'required':
      return new ApiError(
        'INVALID_REQUEST',
        `${where} needs the property "${String(e.params.missingProperty)}".`,
      );
    case 'type':
      return new ApiError(
        'INVALID_REQUEST',
        where === 'body'
          ? 'The body must be a JSON object such as {"input": "text"}.'
          : `"${where}" must be of type ${String(e.params.type)}.`,
      );
    default:
      return new ApiError('INVALID_REQUEST', `"${where}" ${e.message ?? 'is invalid'}; see /docs.`);
  }
}

/** Maps anything thrown into an ApiError; unknown errors become INTERNAL_ERROR. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof QueueFullError) return new ApiError('OVERLOADED', undefined, { retryAfterSeconds: 1 });
  if (error instanceof ModelNotReadyError) {
    return new ApiError('MODEL_NOT_READY', `The model is not ready (${error.message}); retry later.`, {
      retryAfterSeconds: 1,
    });
  }
  const e = error as Partial<FastifyError> & { validation?: AjvError[] };
  if (Array.isArray(e.validation)) return fromValidation(e.validation, e.validationContext ?? 'body');
  const mapped = e.code === undefined ? undefined : FASTIFY_CODES[e.code];
  if (mapped !== undefined) return new ApiError(mapped, undefined, { cause: error });
  // secure-json-parse and JSON.parse failures (400 set by Fastify's JSON parser).
  if (error instanceof SyntaxError || (e.statusCode === 400 && e.code === undefined)) {
    return new ApiError('INVALID_JSON', `The body is not valid JSON (${e.message}); send a JSON object.`);
  }
  const status = e.statusCode ?? 500;
  if (status >= 400 && status < 500) return new ApiError('INVALID_REQUEST', e.message, { cause: error });
  return new ApiError('INTERNAL_ERROR', undefined, { cause: error });
}

/** Sends an ApiError in the shape of the route family. */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  reply.code(error.statusCode);
  if (request.url.startsWith('/v2')) return reply.send({ error: `${error.code}: ${error.message}` });
  return reply.send({ error: { code: error.code, message: error.message } });
}

/** For Fastify's `frameworkErrors` (bad URL encoding, over-long path parameters). */
export function sendFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendError(request, reply, toApiError(error));
}

/**
 * For Fastify's `clientErrorHandler`: Node's HTTP parser rejected the request before any
 * route ran (malformed request line, oversized headers, timeout). Same JSON shape, raw socket.
 */
export function sendClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request headers are too large; send smaller headers.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request took too long to arrive; send it faster.']
        : [400, 'Bad Request', ERRORS.MALFORMED_REQUEST.message];
  const body = JSON.stringify({ error: { code: 'MALFORMED_REQUEST', message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * The first content coding of a request with a body that is not `identity`, if any. The
 * service decodes none: read as plain bytes, a gzip body would only fail later as bad JSON.
 */
function unsupportedEncoding(request: FastifyRequest): string | undefined {
  const header = request.headers['content-encoding'];
  if (header === undefined) return undefined;
  const length = request.headers['content-length'];
  const hasBody =
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return undefined;
  return header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .find((c) => c !== '' && c !== 'identity');
}

function patternToRegExp(url: string): RegExp {
  const escaped = url
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/:[^/]+/g, '[^/]+')
    .replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export default fp(
  async (fastify) => {
    // Route patterns and their methods, to tell 405 (known path) from 404.
    const routes: { pattern: RegExp; methods: Set<string> }[] = [];
    fastify.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const existing = routes.find((r) => r.pattern.source === patternToRegExp(route.url).source);
      const entry = existing ?? { pattern: patternToRegExp(route.url), methods: new Set<string>() };
      for (const m of methods) entry.methods.add(m);
      if (!existing) routes.push(entry);
    });

    /** 405 with Allow for a known path asked with another method, else 404. */
    function sendNoRoute(request: FastifyRequest, reply: FastifyReply): FastifyReply {
      const path = request.url.split('?')[0] ?? '';
      const allowed = new Set<string>();
      for (const r of routes) if (r.pattern.test(path)) for (const m of r.methods) allowed.add(m);
      // A matching route that sends us here anyway (a /docs asset that does not exist) is a 404.
      if (allowed.size > 0 && !allowed.has(request.method)) {
        reply.header('allow', [...allowed].sort().join(', '));
        return sendError(
          request,
          reply,
          new ApiError(
            'METHOD_NOT_ALLOWED',
            `${request.method} is not allowed on ${path}; use ${[...allowed].join(' or ')}.`,
          ),
        );
      }
      return sendError(
        request,
        reply,
        new ApiError('NOT_FOUND', `No route ${request.method} ${path}; see /docs.`),
      );
    }

    fastify.addHook('onRequest', (request, reply, done) => {
      // Node's own check answers a bare non-JSON 400, so it is off (serverOptions) and done here.
      const raw = request.raw;
      if (raw.httpVersionMajor === 1 && raw.httpVersionMinor >= 1 && !request.headers.host) {
        sendError(request, reply, new ApiError('MISSING_HOST'));
        return;
      }
      // Before the body is read: an unknown route or method must not cost a body parse, and
      // a method Fastify treats as carrying a body (QUERY) must get 405, not a Content-Type 400.
      if (request.is404) {
        sendNoRoute(request, reply);
        return;
      }
      const encoding = unsupportedEncoding(request);
      if (encoding !== undefined) {
        // RFC 9110 §15.5.16: say which content codings would have been accepted.
        reply.header('accept-encoding', 'identity');
        sendError(
          request,
          reply,
          new ApiError(
            'UNSUPPORTED_CONTENT_ENCODING',
            `Content-Encoding "${encoding.slice(0, 40)}" is not supported; send the body uncompressed.`,
          ),
        );
        return;
      }
      done();
    });

    // Reached through reply.callNotFound() (e.g. @fastify/static for a missing file).
    fastify.setNotFoundHandler((request, reply) => sendNoRoute(request, reply));

    fastify.setErrorHandler((error, request, reply) => {
      const apiError = toApiError(error);
      if (apiError.statusCode >= 500 && apiError.code === 'INTERNAL_ERROR') {
        request.log.error({ err: error }, 'request failed');
      } else {
        // The request-completed line already has the status; the detail is for debugging.
        request.log.debug({ code: apiError.code, status: apiError.statusCode }, apiError.message);
      }
      return sendError(request, reply, apiError);
    });
  },
  { name: 'error-handler' },
);
