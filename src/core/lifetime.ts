import type { Clock } from './clock';

/** Anything that holds a resource until disposed (VS Code's Disposable has this shape). */
export interface Disposable {
  dispose(): void;
}

/**
 * Owns disposables: what is added is disposed, once, in reverse order, when
 * the store is; what is added after that is disposed at once. One owner per
 * lifetime, so nothing outlives what it belongs to.
 */
export class DisposableStore implements Disposable {
  private items: Disposable[] = [];
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  add<T extends Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.push(item);
    return item;
  }

  /** Lets go of an item that ended by itself (a timer that fired), without disposing it. */
  forget(item: Disposable): void {
    const at = this.items.indexOf(item);
    if (at >= 0) this.items.splice(at, 1);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const items = this.items.reverse();
    this.items = [];
    for (const item of items) {
      try {
        item.dispose();
      } catch {
        // One failing dispose must not keep the rest alive.
      }
    }
  }
}

/** A timeout on `clock` as a disposable: disposing it before it fires cancels it. */
export function timeout(clock: Clock, callback: () => void, ms: number): Disposable {
  let pending = true;
  const handle = clock.setTimeout(() => {
    pending = false;
    callback();
  }, ms);
  return {
    dispose: () => {
      if (pending) clock.clearTimeout(handle);
      pending = false;
    },
  };
}

/** Resolves with true after `ms` on `clock`, or at once with false when `owner` is disposed first. */
export function sleep(clock: Clock, ms: number, owner: DisposableStore): Promise<boolean> {
  return new Promise((resolve) => {
    if (owner.isDisposed) {
      resolve(false);
      return;
    }
    const handle = clock.setTimeout(() => {
      owner.forget(entry);
      resolve(true);
    }, ms);
    const entry: Disposable = {
      dispose: () => {
        clock.clearTimeout(handle);
        resolve(false);
      },
    };
    owner.add(entry);
  });
}
