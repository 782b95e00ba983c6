/** Where each process listens: a small static table, the same in every process of a cluster. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type AddressBook = Map<string, HostPort>;

/** Parses `host:port` (an IPv6 host in brackets), or says what is wrong with it. */
export function parseHostPort(text: string): HostPort | string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (m === null || port > 65_535) return `expected host:port, got ${JSON.stringify(text)}`;
  return { host: (m[1] ?? m[2]) as string, port };
}

/** Parses `name=host:port,name=host:port`, or says what is wrong with it. */
export function parseAddressBook(text: string): AddressBook | string {
  const book: AddressBook = new Map();
  for (const item of text.split(',')) {
    const at = item.indexOf('=');
    const name = item.slice(0, at);
    if (at <= 0) return `expected name=host:port, got ${JSON.stringify(item)}`;
    const address = parseHostPort(item.slice(at + 1));
    if (typeof address === 'string') return `${name}: ${address}`;
    if (book.has(name)) return `${name} is named twice`;
    book.set(name, address);
  }
  return book;
}

export function formatHostPort(address: HostPort): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
