/**
 * The one table of error codes the API answers with. Codes are stable (clients and alerts
 * match on them); messages say what to fix. Body shape: `{"error": {"code", "message"}}`,
 * or `{"error": "message"}` on the KServe v2 routes, as the Open Inference Protocol wants.
 */
export const ERRORS = {
  INVALID_JSON: {
    status: 400,
    message: 'The body is not valid JSON; send a JSON object such as {"input": "text"}.',
  },
  INVALID_UTF8: { status: 400, message: 'The body is not valid UTF-8; encode the JSON text as UTF-8.' },
  JSON_TOO_COMPLEX: {
    status: 400,
    message:
      'The JSON is nested too deeply or has too many values; send a flat request such as {"input": "text"}.',
  },
  INVALID_REQUEST: { status: 400, message: 'The request does not match the schema; see /docs.' },
  MISSING_INPUT: {
    status: 400,
    message: 'Send exactly one of "input" (a string) or "inputs" (an array of strings).',
  },
  EMPTY_INPUT: { status: 400, message: 'The text is empty; send at least one character.' },
  INPUT_TOO_LONG: { status: 400, message: 'The text is too long; shorten it.' },
  TOO_MANY_ITEMS: { status: 400, message: 'The batch has too many items; split it into smaller batches.' },
  MALFORMED_REQUEST: { status: 400, message: 'The HTTP request is malformed.' },
  MISSING_HOST: { status: 400, message: 'The request has no Host header; HTTP/1.1 requires one.' },
  NOT_FOUND: { status: 404, message: 'No such route; see /docs for the API.' },
  MODEL_NOT_FOUND: { status: 404, message: 'No such model; GET /v2/models/<name> lists the served one.' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    message: 'This route does not accept this method; see the Allow header.',
  },
  BODY_TOO_LARGE: { status: 413, message: 'The body is over the size limit; send a smaller body.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'Unsupported Content-Type; send the body as application/json.',
  },
  UNSUPPORTED_CONTENT_ENCODING: {
    status: 415,
    message: 'Unsupported Content-Encoding; send the body uncompressed (identity).',
  },
  INTERNAL_ERROR: {
    status: 500,
    message: 'Internal error; retry, and report the request id if it persists.',
  },
  MODEL_NOT_READY: { status: 503, message: 'The model is not ready yet; retry after the Retry-After delay.' },
  OVERLOADED: { status: 503, message: 'The server is at capacity; retry after the Retry-After delay.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error the API answers on purpose, with a code from the table and a specific message. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Seconds for a Retry-After header (503s). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message?: string, options?: { retryAfterSeconds?: number; cause?: unknown }) {
    super(message ?? ERRORS[code].message, { cause: options?.cause });
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = ERRORS[code].status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}
