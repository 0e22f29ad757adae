/** Error bodies, shared by every route's response schemas. */
import Type, { type TSchema } from 'typebox';
import { ERRORS, type ErrorCode } from '../error-codes.js';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.Enum(Object.keys(ERRORS) as ErrorCode[], { description: 'Stable machine-readable code' }),
      message: Type.String({ description: 'What went wrong and what to fix' }),
    }),
  },
  { $id: 'ErrorBody', description: 'Error' },
);

/** The Open Inference Protocol's error shape. */
export const KServeErrorBody = Type.Object(
  { error: Type.String({ description: 'What went wrong and what to fix' }) },
  { $id: 'KServeErrorBody', description: 'Error (Open Inference Protocol shape)' },
);

/** Response schemas for the given error statuses, for a route's `response`. */
export function errorResponses(statuses: number[], body: TSchema = ErrorBody): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const status of statuses) out[status] = body;
  return out;
}

/** Errors any route can answer: 500 (hidden internals), plus 404/405 from the router. */
export const COMMON_ERRORS = [404, 405, 500];
/** Errors of a route that takes a JSON body. */
export const BODY_ERRORS = [400, 413, 415];
