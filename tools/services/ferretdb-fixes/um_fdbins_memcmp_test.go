//go:build linux && (amd64 || arm64)

package sqlite

import (
	"math/rand"
	"testing"
	"unsafe"

	"modernc.org/libc"

	sqlite3 "modernc.org/sqlite/lib"
)

// TestUMMemcmp checks the SQLite library's UMMemcmp against libc.Xmemcmp (added by the Upgrade Manager build: see
// tools/services/ferretdb-source-fixes.mjs). Run in a patched source: go test -run UMMemcmp modernc.org/sqlite
func TestUMMemcmp(t *testing.T) {
	r := rand.New(rand.NewSource(1))

	for i := 0; i < 200000; i++ {
		n := r.Intn(400)
		offA, offB := r.Intn(8), r.Intn(8) // unaligned too
		a := make([]byte, offA+n+1)        // never empty, so the address exists
		b := make([]byte, offB+n+1)
		r.Read(a)
		copy(b[offB:], a[offA:])

		// equal, differing at one place (often far from the start), or anywhere
		switch r.Intn(3) {
		case 0:
		case 1:
			if n > 0 {
				b[offB+r.Intn(n)] = byte(r.Intn(256))
			}
		default:
			r.Read(b)
		}

		pa, pb := uintptr(unsafe.Pointer(&a[offA])), uintptr(unsafe.Pointer(&b[offB]))
		expected := libc.Xmemcmp(nil, pa, pb, sqlite3.Tsize_t(n))

		if actual := sqlite3.UMMemcmp(nil, pa, pb, sqlite3.Tsize_t(n)); actual != expected {
			t.Fatalf("UMMemcmp(%x, %x) = %d, libc.Xmemcmp = %d", a[offA:offA+n], b[offB:offB+n], actual, expected)
		}
	}
}
