const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Parses "900", "900s", "15m", "12h" or "7d" into whole seconds; undefined when malformed. */
export function parseDurationSeconds(value: string): number | undefined {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  if (!match) {
    return undefined;
  }
  const unit = (match[2] || 's') as keyof typeof SECONDS_PER_UNIT;
  return Number(match[1]) * SECONDS_PER_UNIT[unit];
}
