/**
 * The loaded window of a run's logs.txt: whole lines and the byte range they cover. Offsets are
 * bytes of the UTF-8 file, so overlapping chunks (a reconnect resending from an older offset) are
 * trimmed in bytes, not characters.
 */

export interface LogBuffer {
  lines: string[];
  /** Byte offset of the first loaded line. */
  start: number;
  /** Byte offset just after the last loaded line (where the next read starts). */
  end: number;
  /** Lines dropped from the front to stay under the cap. */
  dropped: number;
}

export const EMPTY_LOG: LogBuffer = { lines: [], start: 0, end: 0, dropped: 0 };

export interface LogChunk {
  text: string;
  offset: number;
  next_offset: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function splitLines(text: string): string[] {
  if (!text) return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** The part of `chunk` from byte `from` on (chunk.offset <= from). */
function textFrom(chunk: LogChunk, from: number): string {
  if (from <= chunk.offset) return chunk.text;
  return decoder.decode(encoder.encode(chunk.text).subarray(from - chunk.offset));
}

/** Appends a chunk that continues the buffer; ignores chunks wholly inside it. */
export function appendChunk(buffer: LogBuffer, chunk: LogChunk, maxLines: number): LogBuffer {
  if (chunk.next_offset <= buffer.end) return buffer;
  if (buffer.lines.length === 0 && buffer.end === 0) {
    return capLines({ lines: splitLines(chunk.text), start: chunk.offset, end: chunk.next_offset, dropped: 0 }, maxLines);
  }
  const text = chunk.offset < buffer.end ? textFrom(chunk, buffer.end) : chunk.text;
  const lines = buffer.lines.concat(splitLines(text));
  return capLines({ ...buffer, lines, end: chunk.next_offset }, maxLines);
}

/** Prepends an earlier chunk (the "load earlier" button). */
export function prependChunk(buffer: LogBuffer, chunk: LogChunk): LogBuffer {
  if (chunk.offset >= buffer.start) return buffer;
  const upTo = Math.min(chunk.next_offset, buffer.start);
  const bytes = encoder.encode(chunk.text).subarray(0, upTo - chunk.offset);
  const lines = splitLines(decoder.decode(bytes)).concat(buffer.lines);
  return { ...buffer, lines, start: chunk.offset };
}

function capLines(buffer: LogBuffer, maxLines: number): LogBuffer {
  const extra = buffer.lines.length - maxLines;
  if (extra <= 0) return buffer;
  return { ...buffer, lines: buffer.lines.slice(extra), dropped: buffer.dropped + extra };
}
