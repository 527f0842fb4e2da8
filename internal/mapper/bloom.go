package mapper

import "hash/fnv"

// bloomBits sizes the filter of target filters in use: 8 Mbit (1 MiB)
// keeps false positives near 1% up to a million distinct filters.
const (
	bloomBits   = 1 << 23
	bloomHashes = 4
)

// bloom is a Bloom filter over the target filters (and target
// identities) of the stored mappings. It lets Resolve skip the scan of all
// mappings when changed entities match no filter in use; a false positive
// only costs that scan.
type bloom []byte

func newBloom() bloom { return make(bloom, bloomBits/8) }

func bloomIndexes(s string) [bloomHashes]uint32 {
	h := fnv.New64a()
	h.Write([]byte(s))
	sum := h.Sum64()
	h1, h2 := uint32(sum), uint32(sum>>32)|1
	var out [bloomHashes]uint32
	for i := range out {
		out[i] = (h1 + uint32(i)*h2) % bloomBits
	}
	return out
}

func (b bloom) add(s string) {
	for _, i := range bloomIndexes(s) {
		b[i/8] |= 1 << (i % 8)
	}
}

func (b bloom) has(s string) bool {
	for _, i := range bloomIndexes(s) {
		if b[i/8]&(1<<(i%8)) == 0 {
			return false
		}
	}
	return true
}
