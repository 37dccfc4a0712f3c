//go:build linux && (amd64 || arm64)

package sqlite3

import (
	"bytes"
	"unsafe"

	"modernc.org/libc"
)

// UMMemcmp is C's memcmp for SQLite on Linux (amd64, arm64), in place of libc.Xmemcmp, which
// compares byte by byte: equal 64-byte blocks are skipped with bytes.Equal, then 8-byte words,
// and the result is libc.Xmemcmp's, the difference of the first differing bytes (added by the
// Upgrade Manager build: see tools/services/ferretdb-source-fixes.mjs).
func UMMemcmp(_ *libc.TLS, s1, s2 uintptr, n Tsize_t) int32 {
	const block = 64

	i := uintptr(0)
	end := uintptr(n)

	for i+block <= end {
		a := unsafe.Slice((*byte)(unsafe.Pointer(s1+i)), block)
		b := unsafe.Slice((*byte)(unsafe.Pointer(s2+i)), block)

		if !bytes.Equal(a, b) {
			break
		}

		i += block
	}

	for i+8 <= end && *(*uint64)(unsafe.Pointer(s1 + i)) == *(*uint64)(unsafe.Pointer(s2 + i)) {
		i += 8
	}

	for ; i < end; i++ {
		c1, c2 := *(*byte)(unsafe.Pointer(s1 + i)), *(*byte)(unsafe.Pointer(s2 + i))
		if c1 != c2 {
			return int32(c1) - int32(c2)
		}
	}

	return 0
}
