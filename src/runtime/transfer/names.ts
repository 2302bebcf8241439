import { basename } from 'node:path';
import { MAX_FILE_LABEL } from '../wire/transfer.ts';

/**
 * A sender's file name is a label only (DESIGN.md §3.6): it is shown and recorded in the inbox
 * index, never joined to a path. Stored files are named after their content instead.
 */
export function storedFileName(sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  return `received_file_${sha256.slice(0, 16)}.dat`;
}

// C0/C1 controls, bidi overrides and isolates, line/paragraph separators, BOM: they can rewrite
// what a terminal shows, so a label never carries them.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/gu;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Cuts `text` to at most `max` code points, marking the cut with an ellipsis. */
export function truncateCodePoints(text: string, max: number): string {
  const points = Array.from(text);
  if (points.length <= max) return text;
  return points.slice(0, Math.max(0, max - 1)).join('') + '…';
}

/** A label fit for display and the index: no control characters, at most MAX_FILE_LABEL code points. */
export function displayLabel(name: string): string {
  const clean = name.replace(LONE_SURROGATE, '\ufffd').replace(UNSAFE, '\ufffd');
  return truncateCodePoints(clean, MAX_FILE_LABEL);
}

/** The label a sender puts in its offer: the caller's name, else the file's base name. */
export function offerLabel(path: string, name?: string): string {
  return displayLabel(name ?? basename(path));
}
