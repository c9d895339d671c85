/**
 * pipeline: what the extractor and uploader share about runs — status events, the retry
 * decision, and where a run's staging lives.
 */
export * from './run-lifecycle';
export * from './staging';
export * from './staging-store';
export * from './staged-events';
export * from './raw-sink';
export * from './staged-lines';
export * from './staged-group';
export * from './task-step';
