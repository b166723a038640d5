/** Cross-checks of read points' transaction contexts, beyond what the schema (config/context.ts) says. */

/** Longest barcode text looked at as a transaction barcode; longer ones are units or rejects. */
export const MAX_TRANSACTION_BARCODE = 128;

interface ContextReader {
  readonly id: string;
}
interface ContextPoint {
  readonly context?: { readonly scanners: readonly string[]; asnPattern?: string; asnParty?: string };
}

/** Context scanners name defined readers; an ASN pattern compiles and has its party. */
export function checkContexts(
  config: { readonly readPoints: readonly ContextPoint[]; readonly readers: readonly ContextReader[] },
  problem: (path: (string | number)[], message: string) => void,
): void {
  const readers = config.readers.map((r) => r.id);
  config.readPoints.forEach((point, i) => {
    const context = point.context;
    if (!context) return;
    context.scanners.forEach((id, j) => {
      if (!readers.includes(id))
        problem(['readPoints', i, 'context', 'scanners', j], `reader "${id}" is not defined in readers`);
    });
    if (context.asnPattern !== undefined) {
      try {
        new RegExp(`^(?:${context.asnPattern})$`);
      } catch (err) {
        problem(
          ['readPoints', i, 'context', 'asnPattern'],
          `not a regular expression: ${(err as Error).message}`,
        );
      }
      if (context.asnParty === undefined)
        problem(
          ['readPoints', i, 'context', 'asnParty'],
          'asnPattern needs asnParty (the GLN of the ASN issuer)',
        );
    }
  });
}
