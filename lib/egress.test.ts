import { checkAddress, checkUrl, egressPolicy, parseNetworks, STRICT_EGRESS } from './egress';

describe('egress: which addresses the server may call', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.0.0.2', 'a loopback address'],
    ['10.1.2.3', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['169.254.169.254', 'a link-local address'],
    ['0.0.0.0', 'the unspecified address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'the broadcast address'],
    ['100.64.0.1', 'a shared (carrier-grade NAT) address'],
    ['::1', 'a loopback address'],
    ['[::1]', 'a loopback address'],
    ['::', 'the unspecified address'],
    ['fe80::1', 'a link-local address'],
    ['fc00::1', 'a unique-local address'],
    ['fd12:3456::1', 'a unique-local address'],
    ['ff02::1', 'a multicast address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:10.0.0.1', 'a private address'],
    ['::ffff:169.254.169.254', 'a link-local address'],
    ['64:ff9b::7f00:1', 'not a public unicast address (rfc6052)'],
  ])('When %s is asked for, then it is refused as %s', (address, name) => {
    const check = checkAddress(STRICT_EGRESS, address);
    expect(check).toEqual({ ok: false, reason: expect.stringContaining(name) });
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8'])('When the public address %s is asked for, then it passes', (address) => {
    expect(checkAddress(STRICT_EGRESS, address)).toEqual({ ok: true });
  });

  it('When networks are allowed, then exactly their addresses pass, IPv4-mapped ones too', () => {
    const policy = egressPolicy(parseNetworks('127.0.0.1/32, 10.20.0.0/16,::1').networks);
    expect(checkAddress(policy, '127.0.0.1')).toEqual({ ok: true });
    expect(checkAddress(policy, '::ffff:127.0.0.1')).toEqual({ ok: true });
    expect(checkAddress(policy, '10.20.3.4')).toEqual({ ok: true });
    expect(checkAddress(policy, '::1')).toEqual({ ok: true });
    expect(checkAddress(policy, '127.0.0.2').ok).toBe(false);
    expect(checkAddress(policy, '10.21.0.1').ok).toBe(false);
  });

  it('When the list holds entries that are not networks, then they are named', () => {
    expect(parseNetworks('127.0.0.1/32,nope,10.0.0.0/33, ')).toEqual({ networks: ['127.0.0.1/32'], problems: ['nope', '10.0.0.0/33'] });
    expect(parseNetworks('')).toEqual({ networks: [], problems: [] });
  });

  it.each([
    ['http://127.0.0.1:9/x', false],
    ['http://2130706433/', false],
    ['http://0x7f.1/', false],
    ['http://[::ffff:7f00:1]/', false],
    ['http://localhost:3000/', false],
    ['http://LOCALHOST./', false],
    ['http://api.localhost/', false],
    ['https://hooks.example.com/x', true],
    ['https://8.8.8.8/x', true],
  ])('When the URL %s is registered, then it passes: %s', (url, ok) => {
    expect(checkUrl(STRICT_EGRESS, new URL(url)).ok).toBe(ok);
  });
});
