/**
 * Headless Chromium for tests, from npm: `@sparticuz/chromium` ships a headless-shell build of
 * Chromium (Linux x64) inside its registry tarball, and playwright-core drives it. Nothing is
 * downloaded and no system browser or library is needed: the package's own NSS/NSPR/expat copies
 * (`al2023.tar.br`, which the package itself unpacks only on AWS) are unpacked next to the binary
 * and put first on its LD_LIBRARY_PATH.
 *
 * `PEERLAB_CHROMIUM=/path/to/chrome` uses that executable instead (any Chrome or Chromium, e.g. on
 * macOS or Linux arm64, where the npm build does not run). No system path is ever probed.
 *
 *   const browser = await launchBrowser();
 *   const page = await (await browser.newContext()).newPage();
 *   ...
 *   await browser.close();
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompress } from 'node:zlib';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

const unbrotli = promisify(brotliDecompress);

/** Flags for a browser on a closed network: it must not try to reach anything by itself. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const PACKAGE = '@sparticuz/chromium';
const HOW_TO_FIX =
  `Run \`npm ci\` (it installs ${PACKAGE}, a Chromium for Linux x64), ` +
  'or point the tests at an installed Chrome or Chromium: PEERLAB_CHROMIUM=/path/to/chrome npm test.';

/** How to start the browser: its executable and the environment it needs. */
export interface ChromiumExecutable {
  executablePath: string;
  /** Extra environment for the browser process (empty for PEERLAB_CHROMIUM). */
  env: Record<string, string>;
  /** Where it came from, for error messages. */
  source: string;
}

/**
 * Starts headless Chromium (playwright-core `Browser`) with a fresh temporary profile.
 * `args` are added to CHROMIUM_FLAGS. Fails with a message that says what to install or set.
 */
export async function launchBrowser(options: { args?: string[] } = {}): Promise<Browser> {
  const exe = await chromiumExecutable();
  const launch: LaunchOptions = {
    executablePath: exe.executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(options.args ?? [])],
    env: { ...process.env, ...exe.env },
    timeout: 30_000,
  };
  try {
    return await chromium.launch(launch);
  } catch (e) {
    // playwright's message holds the browser's own output (a missing library shows there).
    const reason = (e as Error).message.split('\n').slice(0, 16).map((l) => (l.length > 240 ? `${l.slice(0, 240)}…` : l)).join('\n');
    const fix =
      exe.source === 'PEERLAB_CHROMIUM'
        ? `Point PEERLAB_CHROMIUM at a working Chrome or Chromium, or unset it to use the one from npm (${PACKAGE}, Linux x64).`
        : HOW_TO_FIX;
    throw new Error(`Chromium (${exe.source}: ${exe.executablePath}) did not start. ${fix}\n${reason}`);
  }
}

let unpacked: Promise<ChromiumExecutable> | undefined;

/** The executable to launch: PEERLAB_CHROMIUM if set, else the npm build, unpacked once. */
export function chromiumExecutable(): Promise<ChromiumExecutable> {
  const override = process.env.PEERLAB_CHROMIUM;
  if (override !== undefined && override !== '') {
    if (!existsSync(override)) return Promise.reject(new Error(`PEERLAB_CHROMIUM=${override}: no such file. Point it at a Chrome or Chromium executable, or unset it to use ${PACKAGE}.`));
    return Promise.resolve({ executablePath: override, env: {}, source: 'PEERLAB_CHROMIUM' });
  }
  unpacked ??= unpackNpmChromium();
  return unpacked;
}

async function unpackNpmChromium(): Promise<ChromiumExecutable> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`${PACKAGE} ships Chromium for Linux x64 only, and this is ${process.platform}-${process.arch}. ` + 'Point the tests at an installed Chrome or Chromium: PEERLAB_CHROMIUM=/path/to/chrome npm test.');
  }
  let root: string;
  try {
    root = packageRoot(createRequire(import.meta.url).resolve(PACKAGE));
  } catch {
    throw new Error(`${PACKAGE} is not installed. ${HOW_TO_FIX}`);
  }
  const version = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  // node_modules/.cache/peerlab-chromium-<version>: wiped by `npm ci`, shared by the test workers.
  const dir = join(root, '..', '..', '.cache', `peerlab-chromium-${version}`);
  if (!existsSync(join(dir, 'chromium'))) await unpackInto(join(root, 'bin'), dir);
  return {
    executablePath: join(dir, 'chromium'),
    env: {
      LD_LIBRARY_PATH: [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter((p) => p !== undefined && p !== '').join(':'),
      FONTCONFIG_FILE: join(dir, 'fonts.conf'),
    },
    source: `${PACKAGE} ${version}`,
  };
}

/** Walks up from a file of the package to the folder holding its package.json. */
function packageRoot(file: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && dir.endsWith(join('@sparticuz', 'chromium'))) return dir;
  }
  throw new Error(`no package root above ${file}`);
}

/**
 * Unpacks the package's brotli files into `dir` with the layout the binary expects (swiftshader
 * libraries beside it, NSS under lib/, fonts under fonts/). Workers may race: each unpacks into its
 * own temporary folder and renames it into place; the loser drops its copy.
 */
async function unpackInto(bin: string, dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await mkdir(tmp, { recursive: true });
  try {
    await writeFile(join(tmp, 'chromium'), await unbrotli(await readFile(join(bin, 'chromium.br'))));
    await chmod(join(tmp, 'chromium'), 0o755);
    for (const archive of ['al2023.tar.br', 'swiftshader.tar.br', 'fonts.tar.br']) {
      await extractTar(await unbrotli(await readFile(join(bin, archive))), tmp);
    }
    // The shipped fonts.conf names Lambda's folders; this one names ours.
    await writeFile(
      join(tmp, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(dir, 'fonts')}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (existsSync(join(dir, 'chromium'))) return; // another worker finished first
    throw new Error(`could not unpack ${bin} into ${dir}: ${(e as Error).message}. ${HOW_TO_FIX}`);
  }
}

/**
 * A minimal ustar reader: regular files and folders (all these archives hold), pax headers
 * skipped; anything else, or a path leaving `into`, is an error.
 */
export async function extractTar(tar: Buffer, into: string): Promise<void> {
  const field = (h: Buffer, at: number, len: number): string => h.subarray(at, at + len).toString('utf8').replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break; // end of archive
    const prefix = field(header, 345, 155);
    const name = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const mode = parseInt(field(header, 100, 8).trim() || '644', 8) & 0o777;
    const type = String.fromCharCode(header[156]!);
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x' || type === 'g') continue;
    const target = normalize(join(into, name));
    if (!target.startsWith(normalize(into) + sep)) throw new Error(`tar entry ${name} leaves ${into}`);
    if (type === '5') await mkdir(target, { recursive: true });
    else if (type === '0' || type === '\0') {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, body, { mode });
    } else throw new Error(`tar entry ${name} has unsupported type '${type}'`);
  }
}
