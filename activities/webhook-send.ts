import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { checkAddress, isAddressLiteral, STRICT_EGRESS, type EgressPolicy } from '../lib/egress';

/** A name's addresses, as `dns.lookup(name, { all: true })` answers them. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** Where deliveries may go, and how names are resolved (the system resolver unless a test brings its own). */
export interface WebhookEgress {
  policy: EgressPolicy;
  resolve?: Resolver;
}

/** Refused before a byte was sent: the URL, or the address its name resolved to, is internal. Never retried. */
export class EgressRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'EgressRefused';
  }
}

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/**
 * The lookup the connection itself uses: every address the name resolves to
 * is checked, and the socket connects to one of those checked addresses. So a
 * name that resolves to an internal address when the delivery is sent is
 * refused then, whatever it resolved to at registration (no DNS rebinding).
 */
function checkedLookup(policy: EgressPolicy, resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses = found.filter((a) => family === undefined || a.family === family);
        const refused = addresses.map((a) => checkAddress(policy, a.address)).find((c) => !c.ok);
        if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
        if (refused && !refused.ok) return callback(new EgressRefused(`${hostname} resolves to ${refused.reason}`), '', 0);
        if (options.all) return (callback as unknown as (err: null, all: LookupAddress[]) => void)(null, addresses);
        callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

export interface PostResult {
  status: number;
  /** A 2xx: a 3xx is not followed, so it is no delivery. */
  ok: boolean;
  /** The receiver's `Retry-After`, as it sent it. */
  retryAfter?: string;
}

/**
 * POSTs a webhook body. The URL's host is checked before anything is sent (an
 * IP literal as it is, a name once resolved, by the lookup the socket uses);
 * a redirect is answered like any other status, never followed; every
 * delivery opens its own connection, so no pooled socket skips the check.
 */
export function postWebhook(egress: WebhookEgress, target: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  const url = new URL(target);
  const policy = egress.policy ?? STRICT_EGRESS;
  if (isAddressLiteral(url.hostname)) {
    const check = checkAddress(policy, url.hostname);
    if (!check.ok) return Promise.reject(new EgressRefused(check.reason));
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        agent: false,
        lookup: checkedLookup(policy, egress.resolve ?? systemResolver),
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        const retryAfter = res.headers['retry-after'];
        resolve({ status, ok: status >= 200 && status < 300, ...(retryAfter !== undefined ? { retryAfter } : {}) });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
