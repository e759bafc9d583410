import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { canonicalAddress, resolveClientAddress, resolveSecure, type ProxyTrust } from '../transport/index.js';

/**
 * T1 per request, with the per-connection part computed once: the peer address of a socket never
 * changes, so its canonical form is kept on the socket. Forwarded headers are read only when that
 * peer is a trusted proxy. Writes `clientAddress` and `secureTransport` onto the request.
 */
const PEER = Symbol('portcullis.peer');

interface PeerSocket extends Socket {
  [PEER]?: string;
  encrypted?: boolean;
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' || value === undefined ? value : value.join(',');
}

export function resolveRequestTransport(request: FastifyRequest, trust: ProxyTrust): void {
  const socket = request.raw.socket as PeerSocket;
  let peer = socket[PEER];
  if (peer === undefined) {
    peer = (socket.remoteAddress === undefined ? undefined : canonicalAddress(socket.remoteAddress)) ?? '0.0.0.0';
    socket[PEER] = peer;
  }
  const encrypted = socket.encrypted === true;
  if (!trust.enabled || !trust.isTrusted(peer)) {
    request.clientAddress = peer;
    request.secureTransport = encrypted;
    return;
  }
  const headers = request.raw.headers;
  request.clientAddress = resolveClientAddress(peer, single(headers['x-forwarded-for']), trust);
  request.secureTransport = resolveSecure(encrypted, peer, single(headers['x-forwarded-proto']), trust);
}
