import { parseDuration } from '../units.ts';
import { validateHeartbeat, type HeartbeatSettings } from './heartbeat.ts';

/** `node.heartbeat`: readable and settable at run time (durations as ms or text like '200ms'). */
export interface HeartbeatControl {
  interval: number;
  timeout: number;
  set(s: { interval?: number | string; timeout?: number | string }): HeartbeatSettings;
}

/** The control of live heartbeat settings: changes are validated, then made in place. */
export function heartbeatControl(hb: HeartbeatSettings): HeartbeatControl {
  const apply = (next: HeartbeatSettings): HeartbeatSettings => {
    validateHeartbeat(next);
    hb.interval = next.interval;
    hb.timeout = next.timeout;
    return { ...hb };
  };
  return {
    get interval() {
      return hb.interval;
    },
    set interval(v: number) {
      apply({ ...hb, interval: parseDuration(v, 'heartbeat interval') });
    },
    get timeout() {
      return hb.timeout;
    },
    set timeout(v: number) {
      apply({ ...hb, timeout: parseDuration(v, 'heartbeat timeout') });
    },
    set: (s) =>
      apply({
        interval: s.interval === undefined ? hb.interval : parseDuration(s.interval, 'heartbeat interval'),
        timeout: s.timeout === undefined ? hb.timeout : parseDuration(s.timeout, 'heartbeat timeout'),
      }),
  };
}
