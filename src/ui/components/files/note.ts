/** What an export or import says it did, or why it could not (one status line under the Export and import card). */
export type Note = { kind: 'ok' | 'error'; text: string };

export type OnNote = (note: Note) => void;
