// Shared assertions of the scenario tests over examples/programs: a broken program is violated
// with the expected property, deterministically, and its trace replays; a fixed one is safe.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { explore, parseProgram, replay, ExploreOptions, Program } from '../../../analyzer-runtime/src';

const DIR = path.join(__dirname, '..', '..', '..', '..', 'examples', 'programs');

export const load = (name: string): Program => parseProgram(fs.readFileSync(path.join(DIR, `${name}.wake`), 'utf8'));

export function violated(program: Program, kind: string, options: ExploreOptions = {}): ReturnType<typeof explore> {
  const r = explore(program, options);
  assert.equal(r.verdict, 'violated', `${program.name}: ${r.reason ?? ''}`);
  assert.equal(r.property?.kind, kind, r.property?.message);
  assert.deepEqual(explore(program, options).trace, r.trace, 'same program, same trace');
  assert.equal(replay(program, r.trace, r.property!.kind, options).ok, true);
  return r;
}

export function safe(program: Program, options: ExploreOptions = {}): ReturnType<typeof explore> {
  const r = explore(program, options);
  assert.equal(r.verdict, 'safe', `${program.name}: ${r.property?.message ?? r.reason ?? ''}`);
  return r;
}
