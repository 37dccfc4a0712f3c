package sjson

// Checks marshalFast against Marshal's encoding (marshalEncoded) on random documents (added by the
// Upgrade Manager build: see tools/services/ferretdb-source-fixes.mjs).

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/FerretDB/FerretDB/internal/types"
)

func TestMarshalFastMatchesEncoded(t *testing.T) {
	t.Parallel()

	r := rand.New(rand.NewSource(2))
	answered := 0

	for i := 0; i < 20000; i++ {
		doc := randomDocument(r, 0)

		expected, err := marshalEncoded(doc)
		require.NoError(t, err)

		if actual, ok := marshalFast(doc); ok {
			answered++

			assert.Equal(t, string(expected), string(actual))
		}
	}

	// Binary and regex are left to marshalEncoded; the rest is answered.
	assert.Greater(t, answered, 5000)

	for _, v := range []any{math.NaN(), math.Inf(1), types.Regex{Pattern: "a"}, types.Binary{B: []byte{1}}} {
		d, err := types.NewDocument("v", v)
		require.NoError(t, err)

		_, ok := marshalFast(d)
		assert.False(t, ok)
	}
}
