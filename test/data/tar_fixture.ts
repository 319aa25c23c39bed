// Builds small tar archives for the reader's tests: ustar headers, with a pax record for names
// longer than 100 bytes, as GNU tar and Python's tarfile write them.

export interface FixtureEntry {
  name: string;
  data?: Uint8Array;
  /** Header type flag: '0' file (default), '5' directory. */
  type?: string;
}

const encoder = new TextEncoder();

export function tarArchive(entries: FixtureEntry[], { endMarker = true } = {}): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const entry of entries) {
    const data = entry.data ?? new Uint8Array(0);
    const nameBytes = encoder.encode(entry.name);
    if (nameBytes.length > 100) {
      const body = paxRecord('path', entry.name);
      blocks.push(header('PaxHeader', body.length, 'x'), padded(body));
    }
    blocks.push(header(nameBytes.length > 100 ? entry.name.slice(-100) : entry.name, data.length, entry.type ?? '0'), padded(data));
  }
  if (endMarker) blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

function header(name: string, size: number, type: string): Uint8Array {
  const h = new Uint8Array(512);
  const put = (text: string, at: number) => h.set(encoder.encode(text), at);
  put(name, 0);
  put('0000644\0', 100);
  put('0000000\0', 108);
  put('0000000\0', 116);
  put(size.toString(8).padStart(11, '0') + '\0', 124);
  put('00000000000\0', 136);
  put('        ', 148);
  put(type, 156);
  put('ustar\0' + '00', 257);
  const sum = h.reduce((a, b) => a + b, 0);
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

function paxRecord(key: string, value: string): Uint8Array {
  const body = ` ${key}=${value}\n`;
  let length = encoder.encode(body).length;
  length += String(length + String(length).length).length;
  return encoder.encode(`${length}${body}`);
}
