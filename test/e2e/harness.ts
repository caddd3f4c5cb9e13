// Runs the packaged extension in a real VS Code: code-server 4.100.3 (VS Code 1.100 served to a
// browser) started isolated in a temporary home, driven by Debian's chromium via playwright-core.
// Set up by scripts/e2e-setup.sh (see /work/shared/notes/real-vscode.md for why each step).
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const artifactsDir = path.join(repoRoot, 'test-results', 'e2e');

export interface Requirements {
  codeServer: string;
  chromium: string;
}

export function codeServerEntry(): string {
  const home = process.env.WAKEAUDIT_E2E_HOME ?? path.join(os.homedir(), '.cache', 'wakeaudit-e2e');
  return path.join(home, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

export function chromiumPath(): string | undefined {
  for (const candidate of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * What the real-editor tests need, or why they cannot run. In CI (CI=true) a missing piece is a
 * failure, because .ci/run installs everything; elsewhere the tests skip with the reason.
 */
export function findRequirements(): Requirements | string {
  const codeServer = codeServerEntry();
  const chromium = chromiumPath();
  const missing: string[] = [];
  if (!existsSync(codeServer)) missing.push(`code-server (expected ${codeServer}; run scripts/e2e-setup.sh)`);
  if (!chromium) missing.push('chromium (apt-get install chromium, or set CHROMIUM_PATH)');
  if (missing.length > 0) return `real-editor tests need ${missing.join(' and ')}`;
  return { codeServer, chromium: chromium as string };
}

/** Skip (outside CI) or throw (in CI) when requirements are missing. */
export function requirementsOrSkip(): { requirements?: Requirements; skip?: string } {
  const found = findRequirements();
  if (typeof found !== 'string') return { requirements: found };
  if (process.env.CI === 'true') throw new Error(`CI=true but ${found}`);
  return { skip: found };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Builds the VSIX the way `npm run package` does, into `dir`. */
export function packageExtension(dir: string): string {
  const vsix = path.join(dir, 'wakeaudit.vsix');
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'package.mjs'), '--out', vsix], { cwd: repoRoot, stdio: 'pipe' });
  return vsix;
}

export interface CodeServer {
  url: string;
  workspace: string;
  home: string;
  process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  requirements: Requirements;
  /** Folder copied into a fresh temporary workspace (tests edit it). */
  fixtures: string;
  vsix: string;
  /** Extra environment for code-server and its extension hosts. */
  env?: Record<string, string>;
  settings?: Record<string, unknown>;
}

export async function startCodeServer(options: StartOptions): Promise<CodeServer> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'wakeaudit-e2e-'));
  const workspace = path.join(home, 'workspace');
  cpSync(options.fixtures, workspace, { recursive: true });
  const userDataDir = path.join(home, 'user-data');
  const extensionsDir = path.join(home, 'extensions');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  // Without startupEditor none, the welcome page takes the keyboard focus.
  writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      { 'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off', ...options.settings },
      null,
      2,
    ),
  );
  const port = await freePort();
  const configFile = path.join(home, 'config.yaml');
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    ...options.env,
  };
  const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  execFileSync(process.execPath, [options.requirements.codeServer, ...common, '--install-extension', options.vsix], { env, stdio: 'pipe' });

  let output = '';
  const child = spawn(
    process.execPath,
    [options.requirements.codeServer, ...common, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', workspace],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    workspace,
    home,
    process: child,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function launchChromium(requirements: Requirements): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: requirements.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`) });
}
