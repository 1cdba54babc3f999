package kafka

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestKcatProducer: records written by an independent client (kcat, from
// Debian) come back exactly.
func TestKcatProducer(t *testing.T) {
	const kcat = "/usr/bin/kcat"
	if _, err := os.Stat(kcat); err != nil {
		t.Fatalf("%s is missing: run scripts/ensure-debs.sh", kcat)
	}
	c := startCluster(t, 4)
	var in bytes.Buffer
	const n = 200
	for i := range n {
		fmt.Fprintf(&in, `{"id":%d,"part":3,"name":"kcat-%d"}`+"\n", i, i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-b", c.b.Addr(), "-t", "lines", "-P", "-p", "3")
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	r := newReader(open(t, newSpec(c.b.Addr(), "lines", nil), nil), map[int32]int64{3: 0})
	r.until(t, n)
	r.quiet(t)
	for i, row := range r.rows {
		if row.id != int64(i) || row.part != 3 || row.off != int64(i) {
			t.Fatalf("row %d = %+v, want id %d at offset %d of partition 3", i, row, i, i)
		}
	}
}
