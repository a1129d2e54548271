import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import { LOG_LEVELS, WORKLOAD_STAGES } from '../../../core/stages.ts';
import type { LogLevel, WorkloadStage } from '../../../sdk/generated/graphql.ts';
import { formatEntry, type LogEntry } from '../lib/log-follower.ts';

const ROW_HEIGHT = 18;
// The stage machine's own lists (a leaf module every package may share).
export const STAGE_FILTERS: readonly WorkloadStage[] = WORKLOAD_STAGES;
export const LEVEL_FILTERS: readonly LogLevel[] = LOG_LEVELS;

interface Props {
  /** Appended to in place by the follower, which re-renders the view once per frame. */
  entries: readonly LogEntry[];
  workloadId: string;
}

/**
 * A workload's log as a virtualised list: only the rows on screen are in the
 * DOM, so 100,000 lines scroll like 100. While "follow" is on the view sticks
 * to the newest line; scrolling up turns it off.
 */
export function LogView({ entries, workloadId }: Props) {
  const [stage, setStage] = useState<WorkloadStage | ''>('');
  const [level, setLevel] = useState<LogLevel | ''>('');
  const [follow, setFollow] = useState(true);
  const scroller = useRef<HTMLDivElement>(null);

  // Indexes of the entries that pass the filters, extended as entries arrive.
  const filtered = useRef<{ key: string; scanned: number; rows: number[] }>({
    key: '',
    scanned: 0,
    rows: [],
  });
  // Extended on every render (the follower re-renders once per frame); a
  // filter change starts over.
  const key = `${stage}|${level}`;
  if (filtered.current.key !== key) filtered.current = { key, scanned: 0, rows: [] };
  const state = filtered.current;
  for (let i = state.scanned; i < entries.length; i++) {
    const entry = entries[i]!;
    if ((stage === '' || entry.stage === stage) && (level === '' || entry.level === level))
      state.rows.push(i);
  }
  state.scanned = entries.length;
  const rows = state.rows;
  const count = stage === '' && level === '' ? entries.length : rows.length;
  const at = (index: number) => (stage === '' && level === '' ? entries[index] : entries[rows[index]!]);

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 30,
  });

  // Set by what a person does to the list (wheel, touch, keys, the scroll bar); the view's own
  // scrolling to the newest line while following never turns following off.
  const userScrolling = useRef(false);
  const markUser = () => {
    userScrolling.current = true;
  };
  useEffect(() => {
    if (follow && count > 0) {
      userScrolling.current = false;
      virtualizer.scrollToIndex(count - 1, { align: 'end' });
    }
  }, [follow, count, virtualizer]);

  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < ROW_HEIGHT * 2;
    if (atBottom) {
      if (!follow) setFollow(true);
    } else if (follow && userScrolling.current) setFollow(false);
  };

  const download = () => {
    const text = entries.map(formatEntry).join('\n');
    const url = URL.createObjectURL(new Blob([`${text}\n`], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `workload-${workloadId}.log`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <section className="log">
      <div className="log-toolbar">
        <label>
          Stage{' '}
          <select
            aria-label="Filter by stage"
            value={stage}
            onChange={(e) => setStage(e.target.value as WorkloadStage | '')}
          >
            <option value="">all</option>
            {STAGE_FILTERS.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Level{' '}
          <select
            aria-label="Filter by level"
            value={level}
            onChange={(e) => setLevel(e.target.value as LogLevel | '')}
          >
            <option value="">all</option>
            {LEVEL_FILTERS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> follow
        </label>
        <span className="log-count" data-testid="log-count">
          {count.toLocaleString()} of {entries.length.toLocaleString()} lines
        </span>
        <button type="button" onClick={download} disabled={entries.length === 0}>
          Download
        </button>
      </div>
      <div
        className="log-lines"
        ref={scroller}
        onScroll={onScroll}
        onWheel={markUser}
        onTouchStart={markUser}
        onPointerDown={markUser}
        role="log"
        data-testid="log-lines"
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const entry = at(item.index);
            if (!entry) return null;
            return (
              <div
                key={entry.seq}
                className={`log-line level-${entry.level}`}
                data-seq={entry.seq}
                style={{
                  position: 'absolute',
                  top: 0,
                  transform: `translateY(${item.start}px)`,
                  height: ROW_HEIGHT,
                }}
              >
                <span className="seq">{entry.seq}</span>
                <span className="ts">{entry.timestamp.slice(11, 23)}</span>
                <span className="stage">{entry.stage}</span>
                <span className="msg">{entry.message}</span>
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
