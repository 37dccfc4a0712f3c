/** Smallest and largest chunk the protocol allows; the server's default is DEFAULT_CHUNK_SIZE. */
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
/** A chunk index is a uint32, so an image has at most this many chunks. */
export const MAX_CHUNK_COUNT = 0xffffffff;
/** Largest image size the codec accepts (2^40 bytes); the server's own limit is MAX_IMAGE_BYTES. */
export const MAX_IMAGE_SIZE = 2 ** 40;
/** Ranges in one chunk request. */
export const MAX_RANGES_PER_REQUEST = 64;
/** Failure reasons are cut to this many UTF-8 bytes. */
export const MAX_REASON_BYTES = 1024;
/** JSON messages (offer, progress) larger than this are refused before they are parsed. */
export const MAX_JSON_MESSAGE_BYTES = 4096;
export const SHA256_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const ED25519_PUBLIC_KEY_BYTES = 32;
