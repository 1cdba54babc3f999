package gensrc

// Rand is a splitmix64 stream: cheap, allocation free, and seeded from a
// (seed, record number) pair so that every record is a pure function of
// both.
type Rand struct{ s uint64 }

// NewRand starts the stream of record n under seed.
func NewRand(seed uint64, n uint64) Rand {
	return Rand{s: Mix(seed ^ Mix(n+0x632be59bd9b4e019))}
}

// Uint64 is the next value.
func (r *Rand) Uint64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return Mix(r.s)
}

// Intn is uniform in [0, n) for n > 0 (the modulo bias is below 2^-40 for
// the small n generators use).
func (r *Rand) Intn(n int64) int64 { return int64(r.Uint64() % uint64(n)) }

// Float64 is uniform in [0, 1).
func (r *Rand) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// Mix is splitmix64's finalizer.
func Mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
