/** Call fn until it succeeds, waiting longer after each failed attempt. */
export async function retryWithBackoff(fn, attempts = 5) {
  let delay = 100;
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn();
    } catch (err) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
  throw new Error("gave up");
}

export class Backoff {
  constructor(base) {
    this.base = base;
  }

  next(attempt) {
    return this.base * 2 ** attempt;
  }
}
