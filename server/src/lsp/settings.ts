// The `wakeaudit.*` settings as the server uses them, read through workspace/configuration.
// Values from the client are untrusted JSON: anything of the wrong type falls back to the default
// declared in package.json, so a typo in settings.json never stops the analysis.
import { DEFAULT_PROOF_BOUNDS } from '../analysis/bounds';
import { DEFAULT_MAX_FILE_MB } from '../analysis/sourceTree';

export interface ServerSettings {
  /** Rule code -> enabled. Codes not listed are enabled. */
  rules: Record<string, boolean>;
  exploration: { maxStates: number; maxWork: number; timeoutMs: number };
  showUnknown: boolean;
  include: string[];
  exclude: string[];
  /** Files larger than this many MiB are skipped, never read past it (analysis/sourceTree.ts). */
  maxFileMb: number;
  /** Base URL of the rule pages; when empty, the pages shipped in the extension folder are linked. */
  rulesDocsUrl: string;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  rules: {},
  exploration: { maxStates: DEFAULT_PROOF_BOUNDS.maxCandidates, maxWork: DEFAULT_PROOF_BOUNDS.maxWork, timeoutMs: DEFAULT_PROOF_BOUNDS.timeoutMs },
  showUnknown: false,
  include: ['**/*.c', '**/*.h'],
  exclude: ['**/node_modules/**', '**/.git/**'],
  maxFileMb: DEFAULT_MAX_FILE_MB,
  rulesDocsUrl: '',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveNumber(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function stringList(value: unknown, fallback: string[]): string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? [...value] : [...fallback];
}

/** Builds settings from the `wakeaudit` section as the client returns it (nested or dotted keys). */
export function parseSettings(section: unknown): ServerSettings {
  if (!isRecord(section)) return structuredClone(DEFAULT_SETTINGS);
  const rules: Record<string, boolean> = {};
  if (isRecord(section.rules)) {
    for (const [code, enabled] of Object.entries(section.rules)) if (typeof enabled === 'boolean') rules[code] = enabled;
  }
  const exploration = isRecord(section.exploration) ? section.exploration : {};
  return {
    rules,
    exploration: {
      maxStates: positiveNumber(exploration.maxStates ?? section['exploration.maxStates'], DEFAULT_SETTINGS.exploration.maxStates),
      maxWork: positiveNumber(exploration.maxWork ?? section['exploration.maxWork'], DEFAULT_SETTINGS.exploration.maxWork),
      timeoutMs: positiveNumber(exploration.timeoutMs ?? section['exploration.timeoutMs'], DEFAULT_SETTINGS.exploration.timeoutMs),
    },
    showUnknown: typeof section.showUnknown === 'boolean' ? section.showUnknown : DEFAULT_SETTINGS.showUnknown,
    include: stringList(section.include, DEFAULT_SETTINGS.include),
    exclude: stringList(section.exclude, DEFAULT_SETTINGS.exclude),
    maxFileMb: positiveNumber(section.maxFileMb, DEFAULT_SETTINGS.maxFileMb),
    rulesDocsUrl: typeof section.rulesDocsUrl === 'string' ? section.rulesDocsUrl : DEFAULT_SETTINGS.rulesDocsUrl,
  };
}

export function isRuleEnabled(settings: ServerSettings, code: string): boolean {
  return settings.rules[code] !== false;
}
