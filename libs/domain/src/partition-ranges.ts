/** Kafka offsets [start, end) per partition (by partition number), as a run records them: bigints as decimal text. */
export type PartitionRanges = Record<string, { start: string; end: string }>;
