/**
 * Which URLs the doctor may fetch. URLs come from metadata the server controls (RFC 9728 §7.7):
 * a target outside the registrable domains the user opted into (the subject's, and the issuer
 * the subject names) is refused and reported unless allowed with --allow-host; private and
 * link-local addresses are refused unless the subject itself is on loopback or a private network.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { getDomain } from 'tldts';

function isPrivateAddress(ip: string): boolean {
  const v = ip.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(v) === 4) {
    const [a, b] = v.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (isIP(v) === 6) {
    if (v === '::1' || v === '::') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v);
    if (mapped) return isPrivateAddress(mapped[1]!);
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v); // the URL parser's form
    if (hex) {
      const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
      return isPrivateAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    return /^(fc|fd|fe8|fe9|fea|feb)/.test(v);
  }
  return false;
}

const domainOf = (host: string) => getDomain(host, { allowPrivateDomains: true }) ?? host.toLowerCase();

export class UrlPolicy {
  private readonly domains = new Set<string>();
  private readonly hosts = new Set<string>();
  readonly allowPrivate: boolean;

  constructor(subject: string, opts: { allowHosts?: string[]; allowPrivate?: boolean } = {}) {
    const host = new URL(subject).hostname;
    this.domains.add(domainOf(host));
    for (const h of opts.allowHosts ?? []) this.hosts.add(h.toLowerCase());
    this.allowPrivate = !!opts.allowPrivate || host === 'localhost' || isPrivateAddress(host);
  }

  /** The issuer named by the subject's metadata is part of what the user opted into. */
  trust(url: string): void {
    try {
      this.domains.add(domainOf(new URL(url).hostname));
    } catch { /* not a URL: nothing to trust */ }
  }

  /** A reason to refuse the URL, or undefined. */
  check(url: URL): string | undefined {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (this.hosts.has(host.toLowerCase())) return undefined;
    if (!this.allowPrivate && (isPrivateAddress(host) || host === 'localhost')) {
      return `${host} is a private or loopback address; refusing to fetch it for a public server (pass --allow-private-network to allow)`;
    }
    const d = domainOf(host);
    if (!this.domains.has(d)) {
      return `${host} is outside the domains of the server and its issuer (${[...this.domains].join(', ')}); not fetched (pass --allow-host ${host} to allow)`;
    }
    return undefined;
  }

  /** A DNS lookup for undici that refuses names resolving to private addresses (DNS rebinding). */
  lookup = (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      if (!this.allowPrivate && !this.hosts.has(hostname.toLowerCase()) && list.some((a) => isPrivateAddress(a.address))) {
        const e = new Error(`${hostname} resolves to a private address; refusing (pass --allow-private-network to allow)`) as NodeJS.ErrnoException;
        e.code = 'EPRIVATE';
        return callback(e, '');
      }
      const all = (options as { all?: boolean }).all;
      if (all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
