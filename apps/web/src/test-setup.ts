import 'reflect-metadata';
import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { FakeEventSource } from './testing/fake-event-source';

// jsdom lacks the media and resize APIs that Mantine reads on mount.
Object.defineProperty(window, 'matchMedia', {
  writable: true,
  value: (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => undefined,
    removeListener: () => undefined,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    dispatchEvent: () => false,
  }),
});

class ResizeObserverStub {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
window.ResizeObserver = ResizeObserverStub;
// Mantine's ScrollArea and Combobox call these; jsdom does not implement them.
window.HTMLElement.prototype.scrollIntoView = () => undefined;
Object.defineProperty(window, 'EventSource', { writable: true, value: FakeEventSource });

afterEach(() => {
  cleanup();
  FakeEventSource.instances = [];
  window.localStorage.clear();
});
