import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { notifications } from '@mantine/notifications';
import { afterEach } from 'vitest';
import { FakeEventSource } from './testing/fake-event-source';

// Pages load lazily and the machine is shared: give findBy* more than the default second.
configure({ asyncUtilTimeout: 5000 });

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
  // The notifications store is global; one test's toasts must not leak into the next.
  notifications.clean();
  FakeEventSource.instances = [];
  window.localStorage.clear();
});
