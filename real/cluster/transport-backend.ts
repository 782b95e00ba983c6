/**
 * The HTTP front's way to the API server in real mode: the API protocol over the process's
 * Transport, as every component reaches it, so the front adds no second path into the server.
 */
import { API_PROTOCOL } from '../../core/api/http-codec.ts';
import { API_STREAM_PROTOCOL } from '../../core/api/node-stream.ts';
import type { Address, Transport } from '../../core/ports/transport.ts';
import type { ApiBackend } from '../http/api-front.ts';

/** How long the front waits for the API server's answer (upstream's request timeout is 60 s). */
export const FRONT_REQUEST_TIMEOUT_US = 60_000_000;

export function transportBackend(transport: Transport, apiServer: Address): ApiBackend {
  return {
    request: (req) => transport.request(API_PROTOCOL, apiServer, req, FRONT_REQUEST_TIMEOUT_US),
    watch: (req, handlers) => transport.openStream(API_PROTOCOL, apiServer, req, handlers),
    stream: (req, handlers) => transport.openStream(API_STREAM_PROTOCOL, apiServer, req, handlers),
  };
}
