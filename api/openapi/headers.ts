/** The response headers the API sends, as OpenAPI components.headers; operations `$ref` them by name. */
export const HEADERS: Record<string, { description: string; schema: Record<string, unknown> }> = {
  'X-Request-Id': {
    description: "The request's id: the caller's X-Request-Id when it sent one, otherwise a new one; also in every error body as requestId.",
    schema: { type: 'string' },
  },
  ETag: { description: 'The version of what the answer describes, quoted ("3"); send it back as If-Match.', schema: { type: 'string', examples: ['"3"'] } },
  Location: { description: 'Where the created resource is read.', schema: { type: 'string', examples: ['/v1/records/opportunity/opp_4f1d2c9a7b3e8d60'] } },
  'Idempotent-Replayed': {
    description: 'true when this is the kept answer of an earlier request with the same Idempotency-Key; absent otherwise.',
    schema: { type: 'string', enum: ['true'] },
  },
  Link: {
    description: 'rel="next": the URL of the next page, when there is one; rel="deprecation": where a deprecated form this answer is in is explained (RFC 9745).',
    schema: { type: 'string' },
  },
  Deprecation: {
    description: 'Sent (RFC 9745) when the page was asked by offset (offset is deprecated, use cursor), and when instances are answered in the summary form (stage a string; ask shape=instance).',
    schema: { type: 'string', examples: ['@1796601600'] },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying: on 429, on 503, and on 409 idempotency_in_progress (the first request with the key still runs).',
    schema: { type: 'string', examples: ['1'] },
  },
  RateLimit: { description: "The caller's remaining quota in the current window (draft-ietf-httpapi-ratelimit-headers-08).", schema: { type: 'string', examples: ['"per-key";r=0;t=42'] } },
  'RateLimit-Policy': { description: 'The quota applied to this API key: requests per window.', schema: { type: 'string', examples: ['"per-key";q=600;w=60'] } },
};
