/**
 * Fastify's per-request logging, trimmed to one JSON line per answered request (Fastify logs
 * two: incoming and completed) with the request id, method, URL, status and time; never
 * headers or bodies. Probes and scrapes (/livez, /readyz, /metrics, /v2/health/*) log at
 * debug so they do not drown the rest.
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

const QUIET_ROUTES = new Set(['/livez', '/readyz', '/metrics', '/v2/health/live', '/v2/health/ready']);

export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const log = reply.log;
    const line = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTimeMs: reply.elapsedTime,
    };
    if (error) log.error({ ...line, err: error }, 'request errored');
    else if (QUIET_ROUTES.has(request.routeOptions.url ?? '')) log.debug(line, 'request completed');
    else log.info(line, 'request completed');
  }
}
