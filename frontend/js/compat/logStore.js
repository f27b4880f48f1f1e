// The seed's app/src/lib/stores/logStore.ts (Part C1), with its TypeScript annotations removed
// by hand and nothing else changed: the interfaces went, `<T>` type arguments went, `?:` went.
// It imports `svelte/store` and `@tauri-apps/api/*`; frontend/compat.html maps those to
// js/compat/svelte-store.js and the viewer's bridge, to show that code written for Tauri runs
// against this backend unchanged. The viewer itself uses js/store.js.
import { writable, derived } from 'svelte/store';
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

const initialState = {
  entries: [],
  isStreaming: false,
  filter: {
    level: null,
    category: null,
    search: '',
  },
  metrics: null,
};

function createLogStore() {
  const { subscribe, set, update } = writable(initialState);

  return {
    subscribe,

    async fetchLogs(limit = 100, level, category) {
      try {
        const entries = await invoke('get_recent_logs', {
          limit,
          level,
          category,
        });
        update(state => ({ ...state, entries }));
      } catch (e) {
        console.error('Failed to fetch logs:', e);
      }
    },

    async fetchMetrics() {
      try {
        const metrics = await invoke('get_performance_metrics');
        update(state => ({ ...state, metrics }));
      } catch (e) {
        console.error('Failed to fetch metrics:', e);
      }
    },

    async clearLogs() {
      try {
        await invoke('clear_logs');
        update(state => ({ ...state, entries: [] }));
      } catch (e) {
        console.error('Failed to clear logs:', e);
      }
    },

    async exportLogs(outputPath) {
      try {
        await invoke('export_logs', { outputPath });
      } catch (e) {
        console.error('Failed to export logs:', e);
        throw e;
      }
    },

    setFilter(filter) {
      update(state => ({
        ...state,
        filter: { ...state.filter, ...filter },
      }));
    },

    addEntry(entry) {
      update(state => ({
        ...state,
        entries: [...state.entries.slice(-999), entry],
      }));
    },

    async startStreaming() {
      try {
        await invoke('subscribe_to_logs');
        const unlisten = await listen('log-entry', (event) => {
          this.addEntry(event.payload);
        });
        update(state => ({ ...state, isStreaming: true }));
        return unlisten;
      } catch (e) {
        console.error('Failed to start log streaming:', e);
      }
    },
  };
}

export const logStore = createLogStore();

export const filteredLogs = derived(logStore, $log => {
  let entries = $log.entries;

  if ($log.filter.level) {
    entries = entries.filter(e => e.level.toLowerCase() === $log.filter.level?.toLowerCase());
  }

  if ($log.filter.category) {
    entries = entries.filter(e => e.category === $log.filter.category);
  }

  if ($log.filter.search) {
    const search = $log.filter.search.toLowerCase();
    entries = entries.filter(e =>
      e.message.toLowerCase().includes(search) ||
      e.target.toLowerCase().includes(search)
    );
  }

  return entries;
});
