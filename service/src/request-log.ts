/**
 * Fastify's per-request logging, trimmed to at most one JSON line per answered request
 * (Fastify logs two: incoming and completed) with the request id, method, URL, status and
 * time; never headers or bodies.
 *
 * Successful requests log at `debug`: measured on the bench, a synchronous pino line per
 * request cost ~15-20% of the server's CPU at 20k requests/s, and the ingress or load
 * balancer keeps access logs anyway. Client errors (4xx) log at `info`, server errors at
 * `error`, except 503 (not ready, shutting down, queue full: expected states, not faults) at
 * `info`. `LOG_LEVEL=debug` gives a line for every request.
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const log = reply.log;
    const status = reply.statusCode;
    const level = error || (status >= 500 && status !== 503) ? 'error' : status >= 400 ? 'info' : 'debug';
    // Skip building the line when the level is off (the logger is pino, which has isLevelEnabled).
    if ((log as unknown as { isLevelEnabled?(l: string): boolean }).isLevelEnabled?.(level) === false) return;
    const line = {
      method: request.method,
      url: request.url,
      statusCode: status,
      responseTimeMs: reply.elapsedTime,
    };
    if (error) log.error({ ...line, err: error }, 'request errored');
    else log[level](line, 'request completed');
  }
}
