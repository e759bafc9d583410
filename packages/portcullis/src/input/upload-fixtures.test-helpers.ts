import { crc32, deflateSync } from 'node:zlib';

/**
 * Small, well-formed files of each accepted type, built here byte by byte from the formats'
 * published layouts, plus the pieces the attack cases splice into them. `pad` grows a file with
 * inert bytes (a private PNG chunk, a PDF comment, ...) so the streaming paths past the sniffing
 * window are exercised too. No random bytes: a fixture must never trip the markup check by chance.
 */

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A 1x1 RGBA PNG; `extra` chunks go between IHDR and IDAT. */
export function png(pad = 0, extra: readonly Buffer[] = []): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(1, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    ...extra,
    ...(pad > 0 ? [pngChunk('prVt', Buffer.alloc(pad, 0x2e))] : []),
    pngChunk('IDAT', deflateSync(Buffer.from([0, 0x11, 0x22, 0x33, 0xff]))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG text chunk, e.g. to hide markup in a valid image. */
export function pngText(keyword: string, text: string): Buffer {
  return pngChunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]));
}

function jpegSegment(marker: number, data: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([head, data]);
}

/** A JFIF-framed JPEG (SOI, APP0, a comment segment, EOI); `comment` lets a test hide text in it. */
export function jpeg(pad = 0, comment = 'portcullis'): Buffer {
  const app0 = Buffer.concat([Buffer.from('JFIF\0', 'latin1'), Buffer.from([1, 2, 0, 0, 1, 0, 1, 0, 0])]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    jpegSegment(0xe0, app0),
    jpegSegment(0xfe, Buffer.from(comment, 'latin1')),
    ...(pad > 0 ? [jpegSegment(0xfe, Buffer.alloc(Math.min(pad, 65_000), 0x20))] : []),
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** A 1x1 GIF89a with a two-colour table; `afterHeader` is spliced right after the 6-byte signature (the GIFAR-style trick). */
export function gif(afterHeader = ''): Buffer {
  return Buffer.concat([
    Buffer.from(`GIF89a${afterHeader}`, 'latin1'),
    Buffer.from([0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00]),
    Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff, 0xff]),
    Buffer.from([0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
    Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00]),
    Buffer.from([0x3b]),
  ]);
}

/** A lossless 1x1 WebP in a RIFF container. */
export function webp(): Buffer {
  const bitstream = Buffer.from([0x2f, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00]);
  const chunk = Buffer.concat([Buffer.from('VP8L', 'latin1'), Buffer.alloc(4), bitstream]);
  chunk.writeUInt32LE(bitstream.length, 4);
  const riff = Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.alloc(4), Buffer.from('WEBP', 'latin1'), chunk]);
  riff.writeUInt32LE(riff.length - 8, 4);
  return riff;
}

/** A one-page PDF; `headerText` goes into a comment right after the header line. */
export function pdf(pad = 0, headerText = ''): Buffer {
  const objects = [
    '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n',
    '2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n',
    '3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\nendobj\n',
  ];
  let body = `%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n${headerText === '' ? '' : `%${headerText}\n`}`;
  const offsets: number[] = [];
  for (const object of objects) {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += object;
  }
  if (pad > 0) body += `%${'P'.repeat(pad)}\n`;
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** Things that are not accepted files, each as the bytes a renamed file would carry. */
export const NOT_ACCEPTED: Readonly<Record<string, Buffer>> = Object.freeze({
  'plain text': Buffer.from('just some text\n'),
  'HTML page': Buffer.from('<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>'),
  'SVG with script': Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'),
  'XML declaration': Buffer.from('<?xml version="1.0"?><x/>'),
  JSON: Buffer.from('{"image":"not really"}'),
  'Windows executable (MZ/PE)': Buffer.concat([Buffer.from('MZ', 'latin1'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), Buffer.alloc(64), Buffer.from('PE\0\0', 'latin1'), Buffer.alloc(64)]),
  'ELF executable': Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(56)]),
  'shell script': Buffer.from('#!/bin/sh\nrm -rf --no-preserve-root /\n'),
  'ZIP archive': Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(40)]),
});
