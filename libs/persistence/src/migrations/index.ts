import { InitialSchema1764400000000 } from './1764400000000-initial-schema';

/** Every migration, oldest first. */
export const MIGRATIONS = [InitialSchema1764400000000];
