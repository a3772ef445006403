/**
 * A Redis command's reply deadline, measured in event-loop time.
 *
 * A plain timer (ioredis's own `commandTimeout`) reports false timeouts when
 * the process itself is busy: after a long synchronous stretch (a burst of
 * hundreds of calls arriving at once on a loaded machine) the loop runs
 * expired timers *before* it reads the sockets, so a reply that arrived in
 * time is discarded and the store flips to its fallback for nothing. Here an
 * expired deadline first lets the loop read its sockets once (`setImmediate`
 * runs after the poll phase); only a command still unanswered then has timed
 * out.
 */
export class ReplyDeadlineError extends Error {
  constructor(ms: number) {
    super(`Redis command timed out: no reply within ${ms} ms`);
    this.name = 'ReplyDeadlineError';
  }
}

export function replyWithin<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let answered = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (!answered) reject(new ReplyDeadlineError(ms));
      });
    }, ms);
    work.then(
      (value) => {
        answered = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        answered = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
