// Builds the Signals snapshot from the collectors' parts: the single integration point (design §1).
import {
  SCHEMA_VERSION,
  type CollectorCoverage,
  type HostInfo,
  type Signals,
  type SignalsPart,
} from './types.js';

export interface AssembleInput {
  host: HostInfo;
  windowStartMs: number;
  windowEndMs: number;
  parts: SignalsPart[];
  coverage: CollectorCoverage[];
}

export function assembleSignals(input: AssembleInput): Signals {
  const signals: Signals = {
    schemaVersion: SCHEMA_VERSION,
    windowStart: new Date(input.windowStartMs).toISOString(),
    windowEnd: new Date(input.windowEndMs).toISOString(),
    durationNs: Math.max(0, Math.round((input.windowEndMs - input.windowStartMs) * 1e6)),
    host: input.host,
    coverage: input.coverage,
  };
  for (const part of input.parts) Object.assign(signals, part);
  return signals;
}
