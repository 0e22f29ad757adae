/**
 * Dynamic micro-batching with a bounded wait and a bounded queue (as Triton and BentoML do).
 *
 * onnxruntime-node's `run()` is a synchronous native call on the main thread, so running it
 * once per request would serialise every request behind every other. Instead, requests that
 * arrive while the previous batch runs (or within `maxWaitMs` of the first one) are collected
 * and sent through ONE `run`. Under load batches grow by themselves; when idle, a request
 * waits at most `maxWaitMs` (0 = just until the current event-loop turn has read its sockets).
 */

export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

export interface BatcherOptions<I, O> {
  /** Largest number of items sent to one `run`. */
  maxBatchSize: number;
  /** Longest time the first item of a batch waits for company, in ms (0 = next turn). */
  maxWaitMs: number;
  /** Most items waiting (not yet running); beyond it `submit` throws QueueFullError. */
  maxQueue: number;
  /** Runs one batch; returns one output per input, in order. */
  run(inputs: I[]): Promise<O[]>;
}

interface Job<I, O> {
  input: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

export class MicroBatcher<I, O> {
  private queue: Job<I, O>[] = [];
  private running = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushNow = () => {
    this.timer = undefined;
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly options: BatcherOptions<I, O>) {}

  /** Items waiting for a batch. */
  get depth(): number {
    return this.queue.length;
  }

  /** Whether `count` more items fit in the queue now. */
  hasRoom(count: number): boolean {
    return this.queue.length + count <= this.options.maxQueue;
  }

  /** Queues one item; throws QueueFullError (synchronously) when the queue is full. */
  submit(input: I): Promise<O> {
    if (!this.hasRoom(1)) throw new QueueFullError(`queue full (${this.options.maxQueue} items)`);
    return this.enqueue(input);
  }

  /**
   * Queues all items or none (a batch request is never half-accepted). `force` skips the
   * bound (the model's own warm-up must not depend on MAX_QUEUE).
   */
  submitAll(inputs: readonly I[], force = false): Promise<O[]> {
    if (!force && !this.hasRoom(inputs.length))
      throw new QueueFullError(`queue full (${this.options.maxQueue} items)`);
    return Promise.all(inputs.map((input) => this.enqueue(input)));
  }

  private enqueue(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    // While a batch runs, its completion starts the next one: no timer needed.
    if (this.running) return;
    const full = this.queue.length >= this.options.maxBatchSize;
    if (this.scheduled) {
      // A full batch does not wait out the timer.
      if (full && this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
        setImmediate(this.flushNow);
      }
      return;
    }
    this.scheduled = true;
    if (full || this.options.maxWaitMs === 0) setImmediate(this.flushNow);
    else this.timer = setTimeout(this.flushNow, this.options.maxWaitMs);
  }

  private flush(): void {
    if (this.running || this.queue.length === 0) return;
    const { maxBatchSize } = this.options;
    let jobs: Job<I, O>[];
    if (this.queue.length <= maxBatchSize) {
      jobs = this.queue;
      this.queue = [];
    } else {
      jobs = this.queue.splice(0, maxBatchSize);
    }
    this.running = true;
    const inputs = new Array<I>(jobs.length);
    for (let i = 0; i < jobs.length; i++) inputs[i] = jobs[i]!.input;
    this.options.run(inputs).then(
      (outputs) => {
        for (let i = 0; i < jobs.length; i++) jobs[i]!.resolve(outputs[i]!);
        this.done();
      },
      (error: unknown) => {
        for (const job of jobs) job.reject(error);
        this.done();
      },
    );
  }

  private done(): void {
    this.running = false;
    // Items that queued during the run have waited long enough: run them now.
    if (this.queue.length > 0 && !this.scheduled) this.flush();
  }
}
