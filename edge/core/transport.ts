// The HTTP transport port: `fetch` on Workers, an undici Pool on Node (global fetch is ~6x slower there).

export type UpstreamRequest = {
  url: URL;
  method: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  timeoutMs: number;
  /** Transports that resolve names check each resolved address with this (Node); a reason refuses it. */
  addressCheck?: (address: string) => string | undefined;
  /** Connections are pooled per key (the service name): policies differ between services. */
  poolKey?: string;
};

export type UpstreamFailure = 'connect' | 'timeout' | 'protocol' | 'refused';

/** Thrown by transports: `connect` means no byte reached the backend, so an idempotent retry is safe. */
export class UpstreamError extends Error {
  constructor(readonly kind: UpstreamFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}

export type Transport = (req: UpstreamRequest) => Promise<Response>;
