package commit

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Range is the part of one source partition an epoch consumed: offsets (or
// snapshot sequence positions) [From, To). An epoch lists every partition it
// owns, with an empty range (From == To) when nothing arrived, so the latest
// committed epoch alone gives every position.
type Range struct {
	Kind      string `json:"kind"` // "kafka", "table", "gen" (generated data)
	Name      string `json:"name"` // topic, upstream table, generator
	Partition int32  `json:"partition"`
	From      int64  `json:"from"`
	To        int64  `json:"to"`
}

// Key names a source partition.
type Key struct {
	Kind      string
	Name      string
	Partition int32
}

func (r Range) Key() Key { return Key{r.Kind, r.Name, r.Partition} }

func (k Key) String() string {
	return k.Kind + ":" + k.Name + "/" + strconv.Itoa(int(k.Partition))
}

// Positions maps each source partition to the next position to read.
type Positions map[Key]int64

// Advance returns p moved past the ranges rs.
func (p Positions) Advance(rs []Range) Positions {
	out := maps.Clone(p)
	if out == nil {
		out = Positions{}
	}
	for _, r := range rs {
		out[r.Key()] = r.To
	}
	return out
}

// positionEntry is the JSON form of one position: JSON objects cannot key on a struct.
type positionEntry struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Partition int32  `json:"partition"`
	Next      int64  `json:"next"`
}

func (p Positions) MarshalJSON() ([]byte, error) {
	es := make([]positionEntry, 0, len(p))
	for k, v := range p {
		es = append(es, positionEntry{k.Kind, k.Name, k.Partition, v})
	}
	slices.SortFunc(es, func(a, b positionEntry) int {
		return compareKeys(Key{a.Kind, a.Name, a.Partition}, Key{b.Kind, b.Name, b.Partition})
	})
	return json.Marshal(es)
}

func (p *Positions) UnmarshalJSON(b []byte) error {
	var es []positionEntry
	if err := json.Unmarshal(b, &es); err != nil {
		return err
	}
	*p = make(Positions, len(es))
	for _, e := range es {
		(*p)[Key{e.Kind, e.Name, e.Partition}] = e.Next
	}
	return nil
}

func compareKeys(a, b Key) int {
	if a.Kind != b.Kind {
		return cmpString(a.Kind, b.Kind)
	}
	if a.Name != b.Name {
		return cmpString(a.Name, b.Name)
	}
	return int(a.Partition) - int(b.Partition)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ValidateRanges rejects an epoch whose ranges are malformed: reversed, or a
// partition listed twice.
func ValidateRanges(rs []Range) error {
	seen := make(map[Key]bool, len(rs))
	for _, r := range rs {
		if r.To < r.From {
			return fmt.Errorf("source %s: range [%d,%d) is reversed", r.Key(), r.From, r.To)
		}
		if seen[r.Key()] {
			return fmt.Errorf("source %s listed twice in one epoch", r.Key())
		}
		seen[r.Key()] = true
	}
	return nil
}
