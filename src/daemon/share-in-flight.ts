// One read of the kernel maps per scrape, however many metric families (and concurrent scrapers) ask for
// it: callers that arrive while a read is in flight share its result; the next caller after it settles
// starts a fresh read. Nothing is cached beyond the read itself, so a value is never older than the scrape
// that started the read.

export function shareInFlight<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    if (inFlight) return inFlight;
    const p = (async () => read())();
    inFlight = p;
    const clear = (): void => {
      if (inFlight === p) inFlight = undefined;
    };
    p.then(clear, clear);
    return p;
  };
}
