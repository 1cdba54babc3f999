package exec

import "slices"

// changeSet holds the ids (groups, partitions) changed since some point
// (the last emission, the last snapshot), each once, in the order of their
// first change. Its flags grow with the ids an operator numbers.
type changeSet struct {
	ids []uint32
	in  []bool // per id: in ids
}

// grow makes room for ids below n.
func (c *changeSet) grow(n int) { c.in = growTo(c.in, n) }

func (c *changeSet) add(id uint32) {
	if !c.in[id] {
		c.in[id] = true
		c.ids = append(c.ids, id)
	}
}

// sorted orders the ids by number: new ones in the order they were numbered.
func (c *changeSet) sorted() []uint32 {
	slices.Sort(c.ids)
	return c.ids
}

func (c *changeSet) reset() {
	for _, id := range c.ids {
		c.in[id] = false
	}
	c.ids = c.ids[:0]
}

func (c *changeSet) size() int64 { return int64(cap(c.in) + 4*cap(c.ids)) }

// appendDelta appends a delta of the changed ids and starts a new one:
// version, the number of ids, then per id, by number, the id and what save
// writes of it.
func (c *changeSet) appendDelta(dst []byte, version byte, save func(w *stateWriter, id int)) []byte {
	ids := c.sorted()
	w := stateWriter{b: append(dst, version)}
	w.uvarint(uint64(len(ids)))
	for _, id := range ids {
		w.uvarint(uint64(id))
		save(&w, int(id))
	}
	c.reset()
	return w.b
}

// deltaID reads an id appendDelta wrote, of n numbered so far: an existing
// one or the next.
func (r *stateReader) deltaID(n int, what string) int {
	id := r.uvarint()
	if r.err == nil && id > uint64(n) {
		r.fail("%s %d after %d %ss", what, id, n, what)
	}
	return int(id)
}
