/** Beyond these a list is empty anyway; unbounded, `page=1e308` made the database refuse the skip (a 500 found by fuzzing). */
export const PAGE_MAX = 1_000_000;
export const OFFSET_MAX = 1_000_000_000;
