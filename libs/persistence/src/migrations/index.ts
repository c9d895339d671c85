import { InitialSchema1764400000000 } from './1764400000000-initial-schema';
import { ExportCommands1764400000001 } from './1764400000001-export-commands';
import { CancelledRuns1764400000002 } from './1764400000002-cancelled-runs';
import { OutboxPublishedIndex1764400000003 } from './1764400000003-outbox-published-index';
import { RunClaims1764400000004 } from './1764400000004-run-claims';
import { RunTakeovers1764400000005 } from './1764400000005-run-takeovers';
import { RunWarnings1764400000006 } from './1764400000006-run-warnings';
import { ExportOptions1764400000007 } from './1764400000007-export-options';
import { Webhooks1764400000010 } from './1764400000010-webhooks';
import { RunTasks1764400000011 } from './1764400000011-run-tasks';
import { PlanRunsTopic1764400000012 } from './1764400000012-plan-runs-topic';

/** Every migration, oldest first. */
export const MIGRATIONS = [
  InitialSchema1764400000000,
  ExportCommands1764400000001,
  CancelledRuns1764400000002,
  OutboxPublishedIndex1764400000003,
  RunClaims1764400000004,
  RunTakeovers1764400000005,
  RunWarnings1764400000006,
  ExportOptions1764400000007,
  Webhooks1764400000010,
  RunTasks1764400000011,
  PlanRunsTopic1764400000012,
];
