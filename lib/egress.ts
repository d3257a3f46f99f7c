import ipaddr from 'ipaddr.js';

/**
 * Where the server may send a request it makes on a tenant's behalf (a
 * webhook delivery). Pure: the registration check and the delivery, after DNS
 * resolution, both ask here. Only public unicast addresses pass, and the
 * internal networks the deployment lists (WEBHOOK_ALLOW_NETWORKS).
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface EgressPolicy {
  /** The internal networks let through, as `[network, prefix length]`. */
  allow: ReadonlyArray<[Address, number]>;
}

export type AddressCheck = { ok: true } | { ok: false; reason: string };

/** What each refused range is called in a refusal. */
const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique-local address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  carrierGradeNat: 'a shared (carrier-grade NAT) address',
  reserved: 'a reserved address',
};

/** "10.0.0.0/8" or a single address ("127.0.0.1", "::1"); undefined for anything else. */
function parseNetwork(text: string): [Address, number] | undefined {
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    const address = ipaddr.parse(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return undefined;
  }
}

/** A comma-separated list of CIDRs as the configuration gives it: the networks, or the entries that are none. */
export function parseNetworks(list: string): { networks: string[]; problems: string[] } {
  const entries = list.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const problems = entries.filter((e) => parseNetwork(e) === undefined);
  return { networks: entries.filter((e) => parseNetwork(e) !== undefined), problems };
}

export function egressPolicy(networks: readonly string[]): EgressPolicy {
  return { allow: networks.map(parseNetwork).filter((n): n is [Address, number] => n !== undefined) };
}

/** Nothing internal is allowed: the default. */
export const STRICT_EGRESS: EgressPolicy = { allow: [] };

/** An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address it maps: it is checked, and allowed, as that. */
function canonical(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

/** A network as it is matched: an IPv4-mapped one (::ffff:10.0.0.0/104) as the IPv4 network it maps. */
function matchable([network, bits]: [Address, number]): [Address, number] {
  const mapped = network.kind() === 'ipv6' && bits >= 96 && (network as ipaddr.IPv6).isIPv4MappedAddress();
  return mapped ? [(network as ipaddr.IPv6).toIPv4Address(), bits - 96] : [network, bits];
}

function allowed(policy: EgressPolicy, address: Address): boolean {
  return policy.allow.map(matchable).some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
}

/**
 * An address the server may connect to: a public unicast one, or one in an
 * allowed network. Loopback, private, link-local, unique-local, unspecified,
 * multicast, broadcast, shared and reserved ranges are refused, and so are the
 * IPv6 forms that carry an IPv4 address to another network (NAT64, 6to4, Teredo).
 */
export function checkAddress(policy: EgressPolicy, text: string): AddressCheck {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!ipaddr.isValid(bare)) return { ok: false, reason: `${text} is not an IP address` };
  const address = canonical(ipaddr.parse(bare));
  if (allowed(policy, address)) return { ok: true };
  const range = address.range();
  if (range === 'unicast') return { ok: true };
  const name = RANGE_NAMES[range] ?? `not a public unicast address (${range})`;
  return { ok: false, reason: `${address.toString()} is ${name}` };
}

/** Names that are loopback by definition (RFC 6761), whatever a resolver says. */
const isLoopbackName = (host: string): boolean => {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
};

/** An IP literal as a URL's hostname holds it: dotted IPv4 (the URL parser normalizes other forms to it) or bracketed IPv6. */
export const isAddressLiteral = (host: string): boolean =>
  (host.startsWith('[') && host.endsWith(']')) || ipaddr.IPv4.isValidFourPartDecimal(host);

/**
 * A URL the server may be asked to call, as far as can be told without DNS:
 * an IP literal is checked as an address, a loopback name is refused, and any
 * other name is checked again once resolved, when the request is made.
 */
export function checkUrl(policy: EgressPolicy, url: URL): AddressCheck {
  const host = url.hostname;
  if (isAddressLiteral(host)) return checkAddress(policy, host);
  if (isLoopbackName(host)) return { ok: false, reason: `${host} is a loopback name` };
  return { ok: true };
}

/** The sentence a refusal ends with: how a deployment lets an internal receiver through. */
export const ALLOW_HINT = 'internal addresses are refused unless WEBHOOK_ALLOW_NETWORKS lists their network';
