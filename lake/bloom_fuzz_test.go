package lake

import (
	"bytes"
	"errors"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// bloomBytes is a stored filter: a header for n bitset bytes, then bits.
func bloomBytes(t testing.TB, n int32, bits []byte) []byte {
	h := format.BloomFilterHeader{NumBytes: n}
	h.Algorithm.Value = &format.SplitBlockAlgorithm{}
	h.Hash.Value = &format.XxHash{}
	h.Compression.Value = &format.BloomFilterUncompressed{}
	b, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, bits...)
}

// FuzzDecodeBloom: any bytes decode to a filter or an error, never a
// panic; a decoded filter is a whole number of blocks within the input,
// answers any hash, and reads the same through readBloom.
func FuzzDecodeBloom(f *testing.F) {
	f.Add(bloomBytes(f, 32, bytes.Repeat([]byte{0xA5}, 32)))
	f.Add(bloomBytes(f, 64, make([]byte, 64)))
	f.Add(bloomBytes(f, 64, make([]byte, 40))) // cut short
	f.Add(bloomBytes(f, 33, make([]byte, 33)))
	f.Add(bloomBytes(f, -1, nil))
	f.Add([]byte{0x15, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		bf, total, err := decodeBloom(b)
		if err != nil {
			if bf != nil {
				t.Fatalf("a filter with error %v", err)
			}
			if errors.Is(err, errBloomShort) && total <= len(b) {
				t.Fatalf("cut short at %d of %d bytes", total, len(b))
			}
			return
		}
		if len(bf) == 0 || len(bf)%32 != 0 || total > len(b) || total < len(bf) {
			t.Fatalf("filter of %d bytes, %d of %d input bytes", len(bf), total, len(b))
		}
		for _, h := range []uint64{0, 1, ^uint64(0), 0x9e3779b97f4a7c15} {
			bf.mayContain(h)
		}
		for _, n := range []int64{0, int64(total)} {
			got, err := readBloom(bytes.NewReader(b), 0, n)
			if err != nil || !bytes.Equal(got, bf) {
				t.Fatalf("readBloom(n=%d): %d bytes, %v; decodeBloom %d bytes", n, len(got), err, len(bf))
			}
		}
	})
}

// TestBloomDecode: errors name what is wrong and where.
func TestBloomDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"ok", bloomBytes(t, 32, make([]byte, 32)), ""},
		{"short", bloomBytes(t, 64, make([]byte, 40)), "bitset at byte 16 of 64 bytes, only 40 present"},
		{"not blocks", bloomBytes(t, 33, make([]byte, 33)), "num_bytes 33 is not a positive multiple of 32"},
		{"negative", bloomBytes(t, -32, nil), "num_bytes -32"},
		{"garbage", []byte{0xff, 0xff}, "bloom filter header (2 bytes available)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := decodeBloom(tc.b)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
