/**
 * The live view's one page: markup, style and script, all inline (nothing is fetched from
 * anywhere, so it works on a closed network and on a projector with no internet). Each answer gets
 * a fresh nonce, and the Content-Security-Policy lets only those inline blocks run.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { esc } from '../trace/html-text.ts';

/** The page script, one concept per file, run in this order inside one function scope; `start()` last. */
const SCRIPTS = ['core.js', 'lanes.js', 'graph.js', 'tables.js', 'log.js', 'forms.js'];

let assets: { css: string; js: string; body: string } | undefined;

function loadAssets(): { css: string; js: string; body: string } {
  const read = (name: string): string => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
  assets ??= {
    css: read('live.css'),
    js: ["(function () {\n'use strict';", ...SCRIPTS.map(read), 'start();\n})();'].join('\n'),
    body: read('body.html'),
  };
  return assets;
}

export function pageHtml(title: string): { html: string; nonce: string } {
  const { css, js, body } = loadAssets();
  const nonce = randomBytes(16).toString('base64');
  const html = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No favicon request (it would carry no token).
    '<link rel="icon" href="data:,">',
    `<title>${esc(title)}</title>`,
    `<style nonce="${nonce}">\n${css}\n</style>`,
    '</head><body>',
    body.replace('{{TITLE}}', esc(title)),
    `<script nonce="${nonce}">\n${js}\n</script>`,
    '</body></html>',
    '',
  ].join('\n');
  return { html, nonce };
}
