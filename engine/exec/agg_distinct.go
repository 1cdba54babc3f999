package exec

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
)

// distinctSet serves an aggregate's DISTINCT: it remembers every (group,
// value) pair seen and passes on only the rows that bring a new one, so the
// accumulator folds each distinct value once per group.
type distinctSet struct {
	t   byteTable
	enc rowEncoder
	key []byte
	out []int32
}

// filter returns the rows of r whose value of arg is new in their group.
func (d *distinctSet) filter(r *aggRows, arg arrow.Array) []int32 {
	d.enc.encode([]arrow.Array{arg}, r.n)
	out := d.out[:0]
	for k, n := 0, r.count(); k < n; k++ {
		i := r.at(k)
		d.key = binary.LittleEndian.AppendUint32(d.key[:0], r.group(i))
		d.key = append(d.key, d.enc.row(i)...)
		before := d.t.len()
		if d.t.findOrAdd(d.key, hashBytes(d.key)); d.t.len() > before {
			out = append(out, int32(i))
		}
	}
	d.out = out
	return out
}

func (d *distinctSet) size() int64 {
	return d.t.size() + d.enc.size() + int64(cap(d.key)+4*cap(d.out))
}
