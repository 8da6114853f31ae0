// The HTTP transport port: `fetch` on Workers, an undici Pool on Node (global fetch is ~6x slower there).

export type UpstreamRequest = {
  url: URL;
  method: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  timeoutMs: number;
};

export type UpstreamFailure = 'connect' | 'timeout' | 'protocol';

/** Thrown by transports: `connect` means no byte reached the backend, so an idempotent retry is safe. */
export class UpstreamError extends Error {
  constructor(readonly kind: UpstreamFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}

export type Transport = (req: UpstreamRequest) => Promise<Response>;
