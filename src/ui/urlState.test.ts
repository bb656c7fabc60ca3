import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../core/config';
import { encodeConfig } from '../core/url';
import { createUrlStore, type UrlHost } from './urlState';

function fakeHost(initial: string) {
  let hash = initial;
  const listeners = new Set<() => void>();
  const host: UrlHost = {
    getHash: () => hash,
    replaceHash: vi.fn((text: string) => void (hash = `#${text}`)),
    onHashChange: (l) => (listeners.add(l), () => listeners.delete(l)),
  };
  const navigate = (h: string) => {
    hash = h;
    listeners.forEach((l) => l());
  };
  return { host, navigate, hash: () => hash, listeners };
}

describe('url state', () => {
  it('reads the hash and writes back its canonical form', () => {
    const f = fakeHost('#v=2&depth=28&width=10');
    const store = createUrlStore(f.host);
    expect(store.getSnapshot().config).toMatchObject({ depth: 28, width: 10 });
    expect(store.getSnapshot().corrections).toEqual([]);
    expect(f.hash()).toBe(`#${encodeConfig({ ...DEFAULT_CONFIG, depth: 28, width: 10 })}`);
  });

  it("an old link keeps its meaning: written back as today's version with the values it trained", () => {
    const f = fakeHost('#depth=28&width=10'); // no `v`: made before version 2
    const store = createUrlStore(f.host);
    expect(store.getSnapshot().config).toMatchObject({ depth: 28, width: 10, train: 10000, test: 2000 });
    expect(store.getSnapshot().corrections).toEqual([]);
    expect(f.hash()).toMatch(/^#v=2&.*&train=10000&test=2000&/);
  });

  it('a plain visit (no hash) gets the defaults and says it was one', () => {
    const f = fakeHost('');
    const store = createUrlStore(f.host);
    expect(store.getSnapshot().config).toEqual(DEFAULT_CONFIG);
    expect(store.plainVisit()).toBe(true);
    store.setConfig({ ...DEFAULT_CONFIG, depth: 22 });
    expect(store.plainVisit()).toBe(false);
    expect(createUrlStore(fakeHost('#depth=22').host).plainVisit()).toBe(false);
  });

  it('lists each correction of a bad hash', () => {
    const store = createUrlStore(fakeHost('#depth=17&width=1000&dropout=abc').host);
    const keys = store.getSnapshot().corrections.map((c) => c.key);
    expect(keys).toEqual(expect.arrayContaining(['depth', 'width', 'dropout']));
    expect(store.getSnapshot().config).toMatchObject({ depth: 16, width: 16, dropout: 0 });
    store.dismissCorrections();
    expect(store.getSnapshot().corrections).toEqual([]);
  });

  it('setConfig writes the hash and notifies', () => {
    const f = fakeHost('');
    const store = createUrlStore(f.host);
    const listener = vi.fn();
    store.subscribe(listener);
    store.setConfig({ ...store.getSnapshot().config, width: 2, compare: [{ depth: 10, width: 2, dropout: 0 }] });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(f.hash()).toContain('width=2');
    expect(f.hash()).toContain('compare=10-2');
    expect(store.getSnapshot().config.compare).toEqual([{ depth: 10, width: 2, dropout: 0 }]);
  });

  it('follows hashchange and ignores its own text', () => {
    const f = fakeHost('');
    const store = createUrlStore(f.host);
    const listener = vi.fn();
    store.subscribe(listener);
    f.navigate(f.hash());
    expect(listener).not.toHaveBeenCalled();
    f.navigate('#depth=40&width=4');
    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot().config).toMatchObject({ depth: 40, width: 4 });
  });

  it('dispose stops listening', () => {
    const f = fakeHost('');
    createUrlStore(f.host).dispose();
    expect(f.listeners.size).toBe(0);
  });
});
