/**
 * The API key of this browser tab: kept in sessionStorage (gone when the tab closes), sent
 * only as the Bearer token, never put in a URL, a log or the page.
 */
const KEY = 'bulk-export.apiKey';

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function signIn(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
