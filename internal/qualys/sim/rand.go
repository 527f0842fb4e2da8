package sim

// Everything the simulator serves is derived from 64-bit hashes of the seed
// and the position of the thing being generated (host index, detection slot,
// epoch, ...). Nothing is stored per host or per detection, so any page can be
// produced on demand and the same seed always yields the same bytes.

const (
	mixK1 = 0x9e3779b97f4a7c15
	mixK2 = 0xbf58476d1ce4e5b9
	mixK3 = 0x94d049bb133111eb
)

// mix64 is the splitmix64 finaliser: a fast, well-distributed bijection.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= mixK2
	x ^= x >> 27
	x *= mixK3
	x ^= x >> 31
	return x
}

// hashOf combines a seed with any number of small integers into one hash.
func hashOf(seed uint64, parts ...uint64) uint64 {
	h := mix64(seed + mixK1)
	for _, p := range parts {
		h = mix64(h ^ (p + mixK1))
	}
	return h
}

// Domain tags keep hashes for different purposes apart.
const (
	tagHost uint64 = iota + 1
	tagHostScan
	tagHostRetire
	tagHostAdded
	tagSlot
	tagSlotEvent
	tagSlotAdded
	tagKB
	tagKBLayout
	tagWebApp
	tagWebAppRetire
	tagWebAppAdded
	tagFinding
	tagFindingEvent
	tagFindingAdded
	tagFault
	tagIDs
)

// rng is a small deterministic generator (splitmix64 stream).
type rng struct{ s uint64 }

func newRNG(h uint64) rng { return rng{s: h} }

func (r *rng) next() uint64 {
	r.s += mixK1
	return mix64(r.s)
}

// intn returns a value in [0, n); n must be positive.
func (r *rng) intn(n int) int {
	return int((r.next() >> 1) % uint64(n))
}

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.intn(hi-lo+1)
}

// float returns a value in [0, 1).
func (r *rng) float() float64 {
	return float64(r.next()>>11) / (1 << 53)
}

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// pick returns one element of list.
func pick[T any](r *rng, list []T) T { return list[r.intn(len(list))] }

// unitOf maps a hash to [0, 1).
func unitOf(h uint64) float64 { return float64(h>>11) / (1 << 53) }
