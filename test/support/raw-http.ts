import http from 'node:http';

export interface RawRequest {
  method: string;
  /** Sent exactly as given (no URL normalisation): `..`, odd percent-encodings and all. */
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Send the body chunked, without Content-Length. */
  chunked?: boolean;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
}

/** Characters Node refuses in a request path; they are percent-encoded, everything else is left as it is. */
const UNSAFE_PATH = /[^\u0021-\u007e]/gu;
export const safePath = (path: string) => path.replace(UNSAFE_PATH, (c) => encodeURIComponent(c));

/**
 * One HTTP/1.1 request through node:http, for what fetch will not send: a GET
 * with a body, a path it would normalise, bytes that are not UTF-8, a chunked
 * body. Resolves with the whole response; rejects on a network error before
 * the response, or when no answer comes within `timeoutMs`.
 */
export function rawRequest(baseUrl: string, req: RawRequest, agent: http.Agent, timeoutMs = 30_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body && !req.chunked) headers['content-length'] = req.body.length;
    if (req.body && req.chunked) headers['transfer-encoding'] = 'chunked';
    let answered = false;
    const outgoing = http.request(
      { host: url.hostname, port: url.port, method: req.method, path: safePath(req.path), headers, agent },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // The server may answer (413, 415) and close before it has read the whole body: that is not a failure.
    outgoing.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (req.body && req.chunked) {
      const size = 64 * 1024;
      for (let at = 0; at < req.body.length; at += size) outgoing.write(req.body.subarray(at, at + size));
      outgoing.end();
    } else {
      outgoing.end(req.body);
    }
  });
}
