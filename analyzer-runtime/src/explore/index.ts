// The explorer: lowering of kernel objects to LKMM events and the axiomatic search.
export { explore, replay, exploreOutcomes, buildTrace, judge, END_RULES, evalFinal } from './explore';
export type {
  ExploreOptions,
  ExploreResult,
  ExploreStats,
  ExploreVerdict,
  PropertyViolation,
  TraceStep,
  TraceRead,
  TraceWrite,
  ReplayResult,
  OutcomesResult,
  EndRule,
  EndContext,
} from './explore';
export { Layout, encodeList, decodeList, stateName, lowerThreadPaths, TASK_RUNNING, TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE } from './lower';
export type { ExplorerPath, PathStep, PathEnd, PathViolation } from './lower';
