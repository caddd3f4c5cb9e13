// The language server's state and behaviour: which files exist and with what text, which
// findings each has, and the LSP handlers that expose them. server.ts only creates the
// connection and hands it here. Analysis itself is behind the Analyzer interface.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CancellationToken,
  CodeAction,
  CodeActionParams,
  Connection,
  Diagnostic,
  DidChangeConfigurationNotification,
  ExecuteCommandParams,
  Hover,
  HoverParams,
  MarkupKind,
  InitializeParams,
  InitializeResult,
  ResponseError,
  ErrorCodes,
  LSPErrorCodes,
  Range,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { FileProblem, Finding, Verdict } from '../analysis/findings';
import { headline } from '../analysis/headline';
import { traceSvg } from '../render/traceSvg';
import { forOfferedFixes } from '../analysis/traceData';
import { Analyzer, CancelledError, IsCancelled } from './analyzer';
import { LruCache, contentHash } from './cache';
import { DiagnosticData, FileNames, findingKey, rangesOverlap, toCodeActions, toDiagnostic, toHoverMarkdown, toRange } from './convert';
import { GlobFilter } from './globs';
import {
  COMMAND_REINDEX,
  COMMAND_SHOW_TRACE,
  COMMAND_SIMULATE,
  STATS_REQUEST,
  STATUS_NOTIFICATION,
  StatsResult,
  ShowTraceArguments,
  SimulateArguments,
  SnippetLanguage,
  StatusParams,
  TraceResult,
  threadsOf,
} from './protocol';
import { DEFAULT_SETTINGS, ServerSettings, isRuleEnabled, parseSettings } from './settings';
import { listWorkspaceFiles } from './workspaceWalk';
import { MIB, readProblem, readUtf8Source } from '../analysis/sourceTree';

export interface SimulatorInput {
  text: string;
  language: Exclude<SnippetLanguage, 'c'>;
  file: string;
  uri: string;
}

/**
 * Runs programs and litmus tests in the runtime (the `simulate` command's engine). A cancelled
 * token must end the search promptly and reject with CancelledError.
 */
export interface Simulator {
  simulate(input: SimulatorInput, settings: ServerSettings, token: CancellationToken): Promise<TraceResult>;
  dispose?(): void;
}

export interface SessionOptions {
  analyzer: Analyzer;
  /** A fresh, empty analyzer for snippets given as text, so they never mix with the workspace. */
  createScratchAnalyzer: () => Analyzer;
  simulator?: Simulator;
  /** The kinds of input this build analyses (`c`, `litmus`), reported in the initialize result. */
  analyses: string[];
  /** The extension folder (holds dist/rules/CODE.md, the rule pages the build copies there). */
  extensionRoot: string;
  /** Milliseconds between the last edit and the analysis it triggers. */
  debounceMs?: number;
}

interface FileResult {
  findings: Finding[];
  problems: FileProblem[];
}

/** Most significant first: a proved bug beats an undecided case beats a proof of safety. */
const VERDICT_ORDER: Verdict[] = ['violated', 'unknown', 'safe', 'unproved'];

export class Session {
  private settings: ServerSettings = structuredClone(DEFAULT_SETTINGS);
  private roots: string[] = [];
  private rootUris: string[] = [];
  private supportsConfiguration = false;
  private supportsWorkspaceFolderChanges = false;
  /** Every file the analyzer holds, with the hash of the text it holds. */
  private readonly fileHashes = new Map<string, string>();
  /** Analysis file name -> URI the client uses (only where it differs from a file: URI of the path). */
  private readonly uriByFile = new Map<string, string>();
  private readonly results = new Map<string, FileResult>();
  private readonly cache = new LruCache<FileResult>(20000);
  private readonly published = new Set<string>();
  /** Bumped by every change; an analysis pass stops when the generation it started in is over. */
  private generation = 0;
  private indexGeneration = 0;
  private pass: Promise<void> = Promise.resolve();
  private debounceTimer: NodeJS.Timeout | undefined;
  private indexing: Promise<void> | undefined;
  private state: StatusParams['state'] = 'starting';
  private indexProgress: { done: number; total: number } | undefined;
  /** Calls into the analysis that missed the cache (each may run proofs). */
  private analysesRun = 0;
  /** Whether the client asked for shutdown (the exit code when the connection then ends is 0). */
  shutdownReceived = false;

  private readonly names: FileNames = {
    uriOf: (file) => this.uriByFile.get(file) ?? (path.isAbsolute(file) ? pathToFileURL(file).href : file),
  };

  constructor(
    private readonly connection: Connection,
    private readonly documents: TextDocuments<TextDocument>,
    private readonly options: SessionOptions,
  ) {}

  listen(): void {
    const { connection, documents } = this;
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => {
      if (this.supportsConfiguration) {
        // A client may refuse (or not implement) the registration: settings then stay as read.
        connection.client
          .register(DidChangeConfigurationNotification.type, { section: 'wakeaudit' })
          .catch((error) => this.log(`registering for configuration changes failed: ${describe(error)}`));
      }
      if (this.supportsWorkspaceFolderChanges) {
        connection.workspace.onDidChangeWorkspaceFolders((event) => {
          const removed = new Set(event.removed.map((folder) => folder.uri));
          const kept = this.rootUris.filter((uri) => !removed.has(uri));
          this.setRoots([...kept, ...event.added.map((folder) => folder.uri)]);
          this.indexing = this.reindex();
        });
      }
      this.indexing = this.reindex();
    });
    connection.onDidChangeConfiguration(() => void this.reloadSettings());
    // Parameters are the client's JSON, checked before use: a malformed notification is logged
    // and dropped, never an exception that escapes the handler.
    connection.onDidChangeWatchedFiles((params) => {
      for (const change of Array.isArray(params?.changes) ? params.changes : []) {
        if (typeof change?.uri === 'string') this.refreshFromDisk(change.uri).catch((error) => this.log(`refreshing ${change.uri} failed: ${describe(error)}`));
      }
    });
    documents.onDidChangeContent((event) => {
      if (validDocument(event.document)) this.guard('didChange', () => this.documentChanged(event.document), undefined);
    });
    documents.onDidClose((event) => {
      if (validDocument(event.document)) this.documentClosed(event.document).catch((error) => this.log(`didClose failed: ${describe(error)}`));
    });
    connection.onCodeAction((params) => this.guard('codeAction', () => this.codeActions(params), []));
    connection.onHover((params) => this.guard('hover', () => this.hover(params), null));
    connection.onExecuteCommand((params, token) => this.executeCommand(params, token));
    connection.onRequest(STATS_REQUEST, (): StatsResult => ({
      files: this.fileHashes.size,
      analysesRun: this.analysesRun,
      cacheHits: this.cache.hits,
      cacheEntries: this.cache.size,
      heapUsedBytes: process.memoryUsage().heapUsed,
    }));
    connection.onShutdown(() => {
      this.shutdownReceived = true;
      this.generation++;
      this.indexGeneration++;
      if (this.debounceTimer) clearTimeout(this.debounceTimer);
      this.options.simulator?.dispose?.();
      this.options.analyzer.dispose?.();
    });
  }

  // ---------------------------------------------------------------- initialisation and settings

  private initialize(params: InitializeParams): InitializeResult {
    this.supportsConfiguration = params.capabilities.workspace?.configuration === true;
    this.supportsWorkspaceFolderChanges = params.capabilities.workspace?.workspaceFolders === true;
    this.setRoots(params.workspaceFolders?.map((folder) => folder.uri) ?? (params.rootUri ? [params.rootUri] : []));
    const clientRegistersCommands = (params.initializationOptions as { clientRegistersCommands?: unknown } | undefined)?.clientRegistersCommands === true;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        hoverProvider: true,
        // Our own VS Code client registers palette commands with these names and forwards them;
        // advertising them would make its LSP library register them a second time.
        executeCommandProvider: { commands: clientRegistersCommands ? [] : [COMMAND_SIMULATE, COMMAND_SHOW_TRACE, COMMAND_REINDEX] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
        experimental: { wakeaudit: { analyses: this.options.analyses } },
      },
      serverInfo: { name: 'wakeaudit' },
    };
  }

  private setRoots(uris: string[]): void {
    this.rootUris = uris;
    // Only folders on disk are walked; files of other schemes are analysed when opened.
    this.roots = uris.filter((uri) => uri.startsWith('file:')).map((uri) => fileURLToPath(uri));
  }

  private async fetchSettings(): Promise<ServerSettings> {
    if (!this.supportsConfiguration) return structuredClone(DEFAULT_SETTINGS);
    try {
      return parseSettings(await this.connection.workspace.getConfiguration('wakeaudit'));
    } catch (error) {
      this.log(`reading settings failed, using defaults: ${describe(error)}`);
      return structuredClone(DEFAULT_SETTINGS);
    }
  }

  private async reloadSettings(): Promise<void> {
    const before = this.settings;
    this.settings = await this.fetchSettings();
    const filesChanged =
      JSON.stringify([before.include, before.exclude, before.maxFileMb]) !==
      JSON.stringify([this.settings.include, this.settings.exclude, this.settings.maxFileMb]);
    if (filesChanged) this.indexing = this.reindex();
    else this.scheduleAnalysis(0);
  }

  // ---------------------------------------------------------------- workspace indexing

  /** Reads the workspace's files into the analyzer in the background, with work-done progress. */
  async reindex(): Promise<void> {
    // Edits do not stop indexing (they only restart analysis passes); a newer re-index does.
    const indexGeneration = ++this.indexGeneration;
    this.settings = await this.fetchSettings();
    const reporter = await this.connection.window.createWorkDoneProgress();
    const isCancelled = () => indexGeneration !== this.indexGeneration || reporter.token.isCancellationRequested;
    reporter.begin('wakeaudit: indexing', 0, 'listing files', true);
    this.setState('indexing');
    try {
      const filter = new GlobFilter(this.settings.include, this.settings.exclude);
      const { files, skipped } = await listWorkspaceFiles(this.roots, filter, isCancelled);
      for (const p of skipped) this.log(`${p.file}: ${p.message}`);
      const wanted = new Set(files);
      // Files no longer included (settings changed, deleted) leave the model unless open.
      for (const file of [...this.fileHashes.keys()]) {
        if (!wanted.has(file) && !this.isOpen(file)) this.forgetFile(file);
      }
      const progress = { done: 0, total: files.length };
      this.indexProgress = progress;
      const report = () => {
        reporter.report(Math.round((100 * progress.done) / Math.max(1, files.length)), `${progress.done}/${files.length} files`);
        this.sendStatus();
      };
      // Files the model does not have yet are loaded in bulk where the analyzer can (worker
      // threads: a kernel tree in a fraction of the time); the others are read one by one, which
      // leaves an unchanged file alone after hashing it.
      const fresh = files.filter((f) => !this.isOpen(f) && !this.fileHashes.has(f));
      const loaded = this.options.analyzer.loadFiles
        ? await this.options.analyzer.loadFiles(fresh, {
            isCancelled,
            isOpen: (f) => this.isOpen(f),
            maxFileBytes: this.maxFileBytes(),
            progress: (done) => {
              progress.done = done;
              report();
            },
          })
        : [];
      const handled = new Set<string>();
      for (const r of loaded) {
        handled.add(r.file);
        if ('error' in r) {
          this.log(`cannot read ${r.file}: ${r.error}`);
          this.forgetFile(r.file);
        } else if (!this.isOpen(r.file)) this.fileHashes.set(r.file, r.hash);
      }
      progress.done = handled.size;
      if (handled.size) this.log(`read ${handled.size} files in bulk on indexing workers`);
      for (const file of files) {
        if (isCancelled()) break;
        if (handled.has(file)) continue;
        if (!this.isOpen(file)) await this.loadFromDisk(file);
        progress.done++;
        if (progress.done % 50 === 0 || progress.done === files.length) report();
      }
      if (!isCancelled()) {
        const added = (await this.options.analyzer.completeIndex?.(isCancelled, { all: true })) ?? [];
        if (added.length)
          this.log(
            `indexed ${added.length} more header(s) the prefilter had skipped, for the helpers and constants conditions use: ${added.map((f) => path.basename(f)).join(', ')}`,
          );
      }
    } catch (error) {
      this.log(`indexing failed: ${describe(error)}`);
    } finally {
      reporter.done();
      this.indexProgress = undefined;
    }
    if (indexGeneration === this.indexGeneration) this.scheduleAnalysis(0);
  }

  /** The size cap of one file read from disk (`wakeaudit.maxFileMb`). */
  private maxFileBytes(): number {
    return Math.floor(this.settings.maxFileMb * MIB);
  }

  private async loadFromDisk(file: string): Promise<void> {
    // Through the one file-system policy: a FIFO or device swapped in for a source file is
    // skipped without being opened, a file over the cap is not read past it.
    const read = readUtf8Source(file, this.maxFileBytes());
    if ('text' in read) this.setFile(file, read.text);
    else {
      this.log(`${file}: ${readProblem(read)}`);
      this.forgetFile(file);
    }
  }

  private async refreshFromDisk(uri: string): Promise<void> {
    if (!uri.startsWith('file:')) return;
    const file = fileURLToPath(uri);
    if (this.isOpen(file)) return; // the editor's text wins over the disk's
    if (!this.isIndexed(file)) return;
    if (existsSync(file)) await this.loadFromDisk(file);
    else this.forgetFile(file);
    this.scheduleAnalysis();
  }

  // ---------------------------------------------------------------- documents

  /** Whether background indexing covers `file`: under a workspace folder and matched by the globs. */
  private isIndexed(file: string): boolean {
    const filter = new GlobFilter(this.settings.include, this.settings.exclude);
    return this.roots.some((root) => {
      const relative = path.relative(root, file);
      return !relative.startsWith('..') && !path.isAbsolute(relative) && filter.matches(relative.split(path.sep).join('/'));
    });
  }

  private fileOf(uri: string): string {
    return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  }

  private isOpen(file: string): boolean {
    const uri = this.uriByFile.get(file) ?? pathToFileURL(file).href;
    return this.documents.get(uri) !== undefined;
  }

  private setFile(file: string, text: string): void {
    const hash = contentHash(text);
    if (this.fileHashes.get(file) === hash) return;
    try {
      this.options.analyzer.setFile(file, text, this.isOpen(file));
      this.fileHashes.set(file, hash);
    } catch (error) {
      // A file the analysis chokes on is reported and skipped; the server carries on.
      this.log(`analysis could not read ${file}: ${describe(error)}`);
      this.fileHashes.set(file, hash);
      this.results.set(file, { findings: [], problems: [{ file, message: describe(error) }] });
    }
  }

  private forgetFile(file: string): void {
    try {
      this.options.analyzer.removeFile(file);
    } catch (error) {
      this.log(`analysis could not drop ${file}: ${describe(error)}`);
    }
    this.fileHashes.delete(file);
    this.results.delete(file);
    this.publish(file);
    this.uriByFile.delete(file);
  }

  private documentChanged(document: TextDocument): void {
    const file = this.fileOf(document.uri);
    this.uriByFile.set(file, document.uri);
    this.setFile(file, document.getText());
    this.scheduleAnalysis();
  }

  private async documentClosed(document: TextDocument): Promise<void> {
    const file = this.fileOf(document.uri);
    if (document.uri.startsWith('file:') && this.isIndexed(file) && existsSync(file)) {
      // A workspace file stays indexed with its saved text: other files' findings depend on it.
      await this.loadFromDisk(file);
      this.scheduleAnalysis();
    } else {
      this.forgetFile(file);
      this.scheduleAnalysis();
    }
  }

  // ---------------------------------------------------------------- analysis passes

  private scheduleAnalysis(delayMs = this.options.debounceMs ?? 150): void {
    const generation = ++this.generation;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      // Passes run one after another; a pass whose generation is over stops at the next file.
      this.pass = this.pass.then(() => this.analyzeAll(generation));
    }, delayMs);
  }

  /** Analyses every known file, open documents first; unchanged inputs come from the cache. */
  private async analyzeAll(generation: number): Promise<void> {
    const isCancelled = () => generation !== this.generation;
    if (isCancelled()) return;
    this.setState('analysing');
    // An edit may call a helper of a header nobody needed when the workspace was indexed: the
    // conditions of the files changed since are searched (indexing ends with a full search).
    if (!this.indexProgress && this.options.analyzer.completeIndex) {
      const added = await this.options.analyzer.completeIndex(isCancelled);
      if (added.length)
        this.log(
          `indexed ${added.length} more header(s) the prefilter had skipped, for the helpers and constants edited conditions use: ${added.map((f) => path.basename(f)).join(', ')}`,
        );
      if (isCancelled()) return;
    }
    const files = [...this.fileHashes.keys()].sort((a, b) => Number(this.isOpen(b)) - Number(this.isOpen(a)));
    for (const file of files) {
      // Let queued messages (edits, requests, cancellations) in between files: an edit ends this pass.
      await new Promise((resolve) => setImmediate(resolve));
      if (isCancelled()) return;
      const result = await this.analyzeFile(file, isCancelled);
      if (result === undefined) return;
      this.results.set(file, result);
      this.publish(file);
    }
    if (!isCancelled()) this.setState('idle');
  }

  /** One file's findings, from the cache when its inputs are unchanged; undefined when cancelled. */
  private async analyzeFile(file: string, isCancelled: IsCancelled): Promise<FileResult | undefined> {
    const textHash = this.fileHashes.get(file);
    if (textHash === undefined) return { findings: [], problems: [] };
    let key: string;
    try {
      key = contentHash(JSON.stringify(this.settings), file, textHash, this.options.analyzer.contextKey(file));
    } catch (error) {
      this.log(`analysis failed on ${file}: ${describe(error)}`);
      return { findings: [], problems: [{ file, message: describe(error) }] };
    }
    const cached = this.cache.get(key);
    if (cached) return cached;
    try {
      this.analysesRun++;
      const result = await this.options.analyzer.analyzeFile(file, this.settings, isCancelled);
      if (isCancelled()) return undefined;
      const kept = { findings: result.findings.filter((f) => isRuleEnabled(this.settings, f.code)), problems: result.problems };
      this.cache.set(key, kept);
      for (const problem of kept.problems) this.log(`${problem.file}: ${problem.message}`);
      return kept;
    } catch (error) {
      if (isCancelled()) return undefined;
      this.log(`analysis failed on ${file}: ${describe(error)}`);
      return { findings: [], problems: [{ file, message: describe(error) }] };
    }
  }

  private diagnosticsOf(file: string): { diagnostic: Diagnostic; finding: Finding }[] {
    const out: { diagnostic: Diagnostic; finding: Finding }[] = [];
    for (const finding of this.results.get(file)?.findings ?? []) {
      const diagnostic = toDiagnostic(finding, this.names, { showUnknown: this.settings.showUnknown, ruleDocUrl: (code) => this.ruleDocUrl(code) });
      if (diagnostic) out.push({ diagnostic, finding });
    }
    return out;
  }

  private publish(file: string): void {
    const diagnostics = this.diagnosticsOf(file).map((entry) => entry.diagnostic);
    const uri = this.names.uriOf(file);
    // Empty lists only go out to clear what was shown; thousands of clean files stay silent.
    if (diagnostics.length === 0 && !this.published.has(uri)) return;
    if (diagnostics.length === 0) this.published.delete(uri);
    else this.published.add(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics });
    this.sendStatus();
  }

  ruleDocUrl(code: string): string | undefined {
    if (!/^[a-z0-9-]+$/.test(code)) return undefined;
    const url = this.settings.rulesDocsUrl;
    if (url) return url.includes('{code}') ? url.split('{code}').join(code) : `${url.replace(/\/$/, '')}/${code}.md`;
    const page = path.join(this.options.extensionRoot, 'dist', 'rules', `${code}.md`);
    return existsSync(page) ? pathToFileURL(page).href : undefined;
  }

  // ---------------------------------------------------------------- status

  private setState(state: StatusParams['state']): void {
    this.state = state;
    this.sendStatus();
  }

  private sendStatus(): void {
    let findings = 0;
    for (const uri of this.published) findings += this.diagnosticsOf(this.fileOf(uri)).length;
    const status: StatusParams = { state: this.state, files: this.fileHashes.size, findings, ...this.indexProgress };
    void this.connection.sendNotification(STATUS_NOTIFICATION, status);
  }

  // ---------------------------------------------------------------- code actions

  private codeActions(params: CodeActionParams): CodeAction[] {
    const file = this.fileOf(params.textDocument.uri);
    const entries = this.diagnosticsOf(file);
    const actions: CodeAction[] = [];
    for (const requested of params.context.diagnostics) {
      const key = (requested.data as Partial<DiagnosticData> | undefined)?.findingKey;
      // Clients that drop `data` still send code and range, which identify the finding too.
      const entry = entries.find((e) =>
        key !== undefined ? findingKey(e.finding) === key : e.diagnostic.code === requested.code && rangesOverlap(e.diagnostic.range, requested.range),
      );
      if (entry) actions.push(...toCodeActions(entry.finding, entry.diagnostic, this.names));
    }
    if (params.context.diagnostics.length === 0) {
      // Asked for a range without diagnostics (e.g. the lightbulb menu): offer fixes of findings there.
      for (const entry of entries) {
        if (rangesOverlap(entry.diagnostic.range, params.range)) actions.push(...toCodeActions(entry.finding, entry.diagnostic, this.names));
      }
    }
    if (params.context.only) return actions.filter((action) => params.context.only?.some((kind) => action.kind?.startsWith(kind)));
    return actions;
  }

  /** The whole message, the schedule and the fixes of the findings under the cursor. */
  private hover(params: HoverParams): Hover | null {
    const at = { start: params.position, end: params.position };
    const hits = this.diagnosticsOf(this.fileOf(params.textDocument.uri)).filter((e) => rangesOverlap(e.diagnostic.range, at));
    if (hits.length === 0) return null;
    return { contents: { kind: MarkupKind.Markdown, value: hits.map((e) => toHoverMarkdown(e.finding)).join('\n\n---\n\n') }, range: hits[0].diagnostic.range };
  }

  // ---------------------------------------------------------------- commands

  private async executeCommand(params: ExecuteCommandParams, token: CancellationToken): Promise<unknown> {
    const [argument] = params.arguments ?? [];
    try {
      switch (params.command) {
        case COMMAND_SIMULATE:
          return await this.simulate(argument as SimulateArguments, token);
        case COMMAND_SHOW_TRACE:
          return this.showTrace(argument as ShowTraceArguments);
        case COMMAND_REINDEX:
          await this.indexing;
          this.cache.clear();
          this.indexing = this.reindex();
          await this.indexing;
          return { files: this.fileHashes.size };
        default:
          throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${params.command}`);
      }
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      if (error instanceof CancelledError || token.isCancellationRequested)
        throw new ResponseError(LSPErrorCodes.RequestCancelled, `${params.command} cancelled`);
      this.log(`${params.command} failed: ${describe(error)}`);
      throw new ResponseError(ErrorCodes.InternalError, `${params.command} failed: ${describe(error)}`);
    }
  }

  private languageOf(uri: string, languageId: string | undefined): SnippetLanguage {
    if (languageId === 'litmus' || uri.endsWith('.litmus')) return 'litmus';
    if (languageId === 'wakeaudit-program' || uri.endsWith('.wake')) return 'wakeaudit-program';
    return 'c';
  }

  private async simulate(args: SimulateArguments | undefined, token: CancellationToken): Promise<TraceResult> {
    if (!args || (typeof args.text !== 'string' && typeof args.uri !== 'string')) {
      throw new ResponseError(ErrorCodes.InvalidParams, 'wakeaudit.simulate needs { text, language } or { uri, range? }');
    }
    const isCancelled = () => token.isCancellationRequested;
    if (typeof args.uri === 'string') {
      const document = this.documents.get(args.uri);
      const file = this.fileOf(args.uri);
      const language = args.language ?? this.languageOf(args.uri, document?.languageId);
      if (language !== 'c') {
        let text = document?.getText(args.range);
        if (text === undefined) {
          const read = readUtf8Source(file, this.maxFileBytes());
          if (!('text' in read)) throw new ResponseError(ErrorCodes.InvalidParams, `${path.basename(file)}: ${readProblem(read)}`);
          text = read.text;
        }
        return this.simulateProgram(text, language, file, token);
      }
      this.requireCAnalysis();
      if (!this.fileHashes.has(file)) {
        if (document) this.documentChanged(document);
        else await this.loadFromDisk(file);
      }
      const result = await this.analyzeFile(file, isCancelled);
      if (!result) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
      this.results.set(file, result);
      const range = this.widenToFunction(file, args.range);
      const inRange = result.findings.filter((f) => !range || rangesOverlap(toRange(f), range));
      return this.traceOfFindings(inRange, args.range ? 'selection' : path.basename(file));
    }
    const language = args.language ?? 'c';
    if (language !== 'c') return this.simulateProgram(args.text as string, language, `snippet.${language === 'litmus' ? 'litmus' : 'wake'}`, token);
    // A snippet given as text is analysed on its own, never mixed into the workspace index.
    this.requireCAnalysis();
    const scratch = this.options.createScratchAnalyzer();
    const snippetFile = 'snippet.c';
    scratch.setFile(snippetFile, args.text as string);
    const result = await scratch.analyzeFile(snippetFile, this.settings, isCancelled);
    return this.traceOfFindings(result.findings, 'snippet');
  }

  private requireCAnalysis(): void {
    if (!this.options.analyses.includes('c')) {
      throw new ResponseError(ErrorCodes.InvalidRequest, 'this build of the server has no C analysis: it simulates .litmus files only');
    }
  }

  /** An empty range (a cursor) means the function around it; without one, the whole file. */
  private widenToFunction(file: string, range: Range | undefined): Range | undefined {
    if (!range || range.start.line !== range.end.line || range.start.character !== range.end.character) return range;
    const span = this.options.analyzer.enclosingFunction?.(file, range.start.line + 1, range.start.character + 1);
    return span ? toRange(span) : undefined;
  }

  private async simulateProgram(text: string, language: Exclude<SnippetLanguage, 'c'>, file: string, token: CancellationToken): Promise<TraceResult> {
    if (!this.options.simulator) {
      throw new ResponseError(ErrorCodes.InvalidRequest, `simulating ${language} input needs the runtime's simulator, which this build does not include`);
    }
    return this.options.simulator.simulate({ text, language, file, uri: this.names.uriOf(file) }, this.settings, token);
  }

  /** The trace view of the most significant finding among `findings`. */
  private traceOfFindings(findings: Finding[], where: string): TraceResult {
    const ranked = [...findings].sort((a, b) => VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict));
    const top = ranked[0];
    if (!top) {
      return {
        title: `wakeaudit: ${where}`,
        verdict: 'unproved',
        message: 'No wait/wake pattern found here: nothing to simulate.',
        threads: [],
        steps: [],
      };
    }
    return this.traceOf(top);
  }

  private traceOf(finding: Finding): TraceResult {
    return {
      title: `${finding.code} at ${path.basename(finding.file)}:${finding.line}`,
      verdict: finding.verdict,
      message: finding.message,
      code: finding.code,
      threads: threadsOf(finding.trace),
      steps: finding.trace.map((step) => ({
        index: step.index,
        thread: step.thread,
        text: step.text,
        ...(step.location ? { uri: this.names.uriOf(step.location.file), range: toRange(step.location) } : {}),
      })),
      ...(finding.proof ? { proof: finding.proof } : {}),
      ...(finding.diagram
        ? {
            svg: traceSvg(forOfferedFixes(finding.diagram, finding.fixes), {
              lineText: this.lineReader(),
              title: `${path.basename(finding.file)}:${finding.line}: ${headline(finding.message)}`,
            }),
          }
        : {}),
    };
  }

  /** Lines of files for the diagram's labels: the editor's text when open, else the disk's (each file read once). */
  private lineReader(): (file: string, line: number) => string | undefined {
    const texts = new Map<string, string[] | undefined>();
    return (file, line) => {
      if (!texts.has(file)) {
        let text = this.documents.get(this.names.uriOf(file))?.getText();
        if (text === undefined) {
          // Through the file-system policy, as every read; unreadable: the model's label is shown.
          const read = readUtf8Source(file, this.maxFileBytes());
          if ('text' in read) text = read.text;
        }
        texts.set(file, text?.split('\n'));
      }
      return texts.get(file)?.[line - 1]?.replace(/\r$/, '');
    };
  }

  private showTrace(args: ShowTraceArguments | undefined): TraceResult {
    if (!args || typeof args.uri !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'wakeaudit.showTrace needs { uri, position? }');
    const entries = this.diagnosticsOf(this.fileOf(args.uri));
    const position = args.position;
    const entry = args.findingKey
      ? entries.find((e) => findingKey(e.finding) === args.findingKey)
      : position === undefined
        ? undefined
        : // Under the cursor, else anywhere on the cursor's line (the cursor is often at its start).
          (entries.find((e) => rangesOverlap(e.diagnostic.range, { start: position, end: position })) ??
          entries.find((e) => e.diagnostic.range.start.line <= position.line && position.line <= e.diagnostic.range.end.line));
    if (!entry) throw new ResponseError(ErrorCodes.InvalidParams, 'no wakeaudit finding at this position');
    return this.traceOf(entry.finding);
  }

  // ---------------------------------------------------------------- helpers

  /** Runs a handler so that an exception is logged and answered with `fallback`, never fatal. */
  private guard<T>(what: string, run: () => T, fallback: T): T {
    try {
      return run();
    } catch (error) {
      this.log(`${what} failed: ${describe(error)}`);
      return fallback;
    }
  }

  private log(message: string): void {
    this.connection.console.log(`[wakeaudit] ${message}`);
  }

  /** For tests and benchmarks: resolves when indexing and the queued analysis passes are done. */
  async settled(): Promise<void> {
    await this.indexing;
    await this.pass;
  }
}

/** A document the client opened with a usable URI and text (a malformed didOpen can make others). */
function validDocument(document: TextDocument | undefined): document is TextDocument {
  if (!document || typeof document.uri !== 'string' || document.uri.length === 0) return false;
  try {
    return typeof document.getText() === 'string';
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
