// class-transformer's metadata (what @Type declared), which it keeps out of its index.
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
