import { checkWebhookUrl, forbiddenAddressReason, parseAllowedHosts } from './webhook-address';

describe('forbiddenAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
    ['fc00::1', 'unique-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 address of a link-local'],
    ['2002:7f00:1::', '6to4 address of a loopback'],
    ['not-an-ip', 'not an IP address'],
  ])('refuses %s (%s)', (address, why) => {
    expect(forbiddenAddressReason(address)).toContain(why);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.253.255.255',
    '192.169.0.1',
    '2001:4860:4860::8888',
    '2606:4700::1111',
    '64:ff9b::808:808',
    '2002:808:808::',
  ])('accepts the public address %s', (address) => {
    expect(forbiddenAddressReason(address)).toBeNull();
  });
});

describe('checkWebhookUrl', () => {
  const refused = (url: string, allowed: string[] = []) => {
    const check = checkWebhookUrl(url, allowed);
    return check.ok ? null : check.message;
  };

  it('accepts a public https URL', () => {
    expect(checkWebhookUrl('https://hooks.example.com/bulk-export?x=1', [])).toMatchObject({
      ok: true,
      host: 'hooks.example.com',
      allowListed: false,
    });
  });

  it('refuses what is not https, holds credentials or is not a URL', () => {
    expect(refused('http://hooks.example.com/')).toContain('https');
    expect(refused('ftp://hooks.example.com/')).toContain('https');
    expect(refused('hooks.example.com/x')).toContain('absolute https URL');
    expect(refused('https://user:pass@hooks.example.com/')).toContain('user name or password');
    expect(refused(`https://example.com/${'a'.repeat(2100)}`)).toContain('at most');
  });

  it('refuses loopback, private, link-local and metadata addresses, however they are written', () => {
    for (const url of [
      'https://127.0.0.1/',
      'https://localhost:8443/',
      'https://localhost./',
      'https://LOCALHOST../',
      'https://api.localhost/',
      'https://10.0.0.5/',
      'https://169.254.169.254/latest/meta-data/',
      'https://[::1]/',
      'https://[::ffff:169.254.169.254]/',
      'https://[fd00::1]/',
      'https://0x7f.1/', // the URL parser reads this as 127.0.0.1
      'https://2130706433/', // and this
      'https://0/',
    ]) {
      expect(refused(url)).toMatch(/must not point at this machine|must be a public address/);
    }
  });

  it('lets the allow-list through, with plain http, matched by host name or address', () => {
    const allowed = parseAllowedHosts(' 127.0.0.1 , Receiver.Internal,[::1]');
    expect(allowed).toEqual(['127.0.0.1', 'receiver.internal', '::1']);
    expect(checkWebhookUrl('http://127.0.0.1:4567/hook', allowed)).toMatchObject({ ok: true, allowListed: true });
    expect(checkWebhookUrl('https://receiver.internal/hook', allowed)).toMatchObject({ ok: true, allowListed: true });
    expect(checkWebhookUrl('https://receiver.internal./hook', allowed)).toMatchObject({
      ok: true,
      allowListed: true,
      host: 'receiver.internal',
    });
    expect(checkWebhookUrl('http://[::1]:80/', allowed)).toMatchObject({ ok: true, allowListed: true });
    expect(refused('http://127.0.0.2/', allowed)).toContain('https');
    expect(refused('https://127.0.0.2/', allowed)).toContain('loopback');
    expect(refused('ftp://127.0.0.1/', allowed)).toContain('https');
  });
});
