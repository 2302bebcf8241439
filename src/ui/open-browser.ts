/**
 * `--open`: shows the live view in the default browser. `$BROWSER` wins where it is set (the
 * convention of Python's webbrowser and many command-line tools: a command, `%s` standing for the
 * address or the address appended); otherwise the platform's opener (`open` on macOS, `start` on
 * Windows, `xdg-open` elsewhere). The address holds the token, so it goes as an argument, never
 * through a shell.
 */
import { spawn } from 'node:child_process';

export interface OpenResult {
  ok: boolean;
  /** The command that was run (or tried). */
  command: string;
  error?: string;
}

export function openerFor(url: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): { file: string; args: string[] } {
  const custom = env.BROWSER?.split(':')[0]?.trim();
  if (custom) {
    const words = custom.split(/\s+/);
    const args = words.slice(1);
    return args.some((a) => a.includes('%s')) ? { file: words[0]!, args: args.map((a) => a.replace('%s', url)) } : { file: words[0]!, args: [...args, url] };
  }
  if (platform === 'darwin') return { file: 'open', args: [url] };
  if (platform === 'win32') return { file: 'cmd', args: ['/c', 'start', '""', url] };
  return { file: 'xdg-open', args: [url] };
}

/** Starts the browser (not waited for); resolves once it started or failed to. */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<OpenResult> {
  const { file, args } = openerFor(url, env);
  const command = [file, ...args.map((a) => (a === url ? '<view address>' : a))].join(' ');
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(file, args, { stdio: 'ignore', detached: true });
    } catch (err) {
      resolve({ ok: false, command, error: (err as Error).message });
      return;
    }
    child.once('error', (err) => resolve({ ok: false, command, error: err.message }));
    child.once('spawn', () => {
      child.unref();
      resolve({ ok: true, command });
    });
  });
}
