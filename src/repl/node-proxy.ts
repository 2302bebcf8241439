/**
 * The `node` the REPL hands to users: a transparent proxy over a Node (or a remote one) that passes
 * every property through and notes each method call, so that `.record` can write the session as a
 * playbook, `help(node.send)` knows which function it was given, and the writer knows which method
 * a result came from. No method is added to the node: a missing one stays a normal TypeError.
 */
import { API } from '../runtime/api.ts';

export interface CallInfo {
  /** The node's name at call time. */
  node: string;
  /** Path under the node: `send`, `faults.set`, `robot.start`. */
  method: string;
  args: unknown[];
}

export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface CallObserver {
  /** Called as a method is called; the returned function is called once it has settled. */
  begin(call: CallInfo): ((outcome: CallOutcome) => void) | void;
}

/** Namespaces whose methods are part of the API (`node.faults.set`, ...). */
const NAMESPACES = new Set(API.flatMap((m) => (m.name.includes('.') ? [m.name.split('.')[0]!] : [])));

const paths = new WeakMap<Function, string>();
const namespaces = new WeakMap<object, string>();
const targets = new WeakMap<object, object>();
const origins = new WeakMap<object, string>();
let lastPrimitive: { method: string; value: unknown } | undefined;

/** `send` for the function `node.send` handed out by a wrapped node. */
export function methodPathOf(fn: Function): string | undefined {
  return paths.get(fn);
}

/** `faults` for the object `node.faults` handed out by a wrapped node. */
export function namespaceOf(v: unknown): string | undefined {
  return v !== null && typeof v === 'object' ? namespaces.get(v) : undefined;
}

/** The wrapped object behind a proxy made here. */
export function unwrap(v: unknown): object | undefined {
  return v !== null && (typeof v === 'object' || typeof v === 'function') ? targets.get(v as object) : undefined;
}

/** The node method that returned `v` (objects exactly; primitives if they were the latest result). */
export function originOf(v: unknown): string | undefined {
  if (v !== null && typeof v === 'object') return origins.get(v);
  return lastPrimitive && Object.is(lastPrimitive.value, v) ? lastPrimitive.method : undefined;
}

function note(method: string, v: unknown): void {
  if (v !== null && typeof v === 'object') origins.set(v, method);
  else lastPrimitive = { method, value: v };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Wraps `target` (a Node, or a remote node object). `name` gives the node's current name for the
 * observer; `observer` is asked at each call, so recording can start and stop at any time.
 */
export function wrapNode<T extends object>(target: T, name: () => string, observer: () => CallObserver | undefined): T {
  return wrap(target, '', name, observer);
}

function wrap<T extends object>(target: T, prefix: string, name: () => string, observer: () => CallObserver | undefined): T {
  const fnCache = new Map<PropertyKey, { fn: Function; wrapper: Function }>();
  const nsCache = new WeakMap<object, object>();
  const proxy = new Proxy(target, {
    get(t, prop, receiver) {
      const value: unknown = Reflect.get(t, prop, receiver === proxy ? t : receiver);
      if (typeof prop !== 'string') return value;
      if (typeof value === 'function' && prop !== 'constructor') {
        const cached = fnCache.get(prop);
        if (cached && cached.fn === value) return cached.wrapper;
        const method = prefix + prop;
        const fn = value as (...args: unknown[]) => unknown;
        const wrapper = function (this: unknown, ...args: unknown[]): unknown {
          const end = observer()?.begin({ node: name(), method, args });
          try {
            const r = Reflect.apply(fn, t, args);
            if (isThenable(r)) {
              return Promise.resolve(r).then(
                (v) => {
                  note(method, v);
                  end?.({ ok: true, value: v });
                  return v;
                },
                (error: unknown) => {
                  end?.({ ok: false, error });
                  throw error;
                },
              );
            }
            note(method, r);
            end?.({ ok: true, value: r });
            return r;
          } catch (error) {
            end?.({ ok: false, error });
            throw error;
          }
        };
        Object.defineProperty(wrapper, 'name', { value: prop });
        paths.set(wrapper, method);
        fnCache.set(prop, { fn: value, wrapper });
        return wrapper;
      }
      if (prefix === '' && NAMESPACES.has(prop) && value !== null && typeof value === 'object') {
        let ns = nsCache.get(value);
        if (!ns) {
          ns = wrap(value, `${prop}.`, name, observer);
          nsCache.set(value, ns);
          namespaces.set(ns, prop);
        }
        return ns;
      }
      return value;
    },
    set(t, prop, value) {
      return Reflect.set(t, prop, value);
    },
  });
  targets.set(proxy, target);
  return proxy;
}
