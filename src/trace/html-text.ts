/** Text into HTML: markup, attributes and an inline JSON block. */

/** JSON inside <script>: no "</script>" or "<!--" can close or confuse it. */
export function json(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Text for markup and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
