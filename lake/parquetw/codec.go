package parquetw

import (
	"fmt"
	"strings"
	"sync"

	kzstd "github.com/klauspost/compress/zstd"
	pqgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	pqgzip "github.com/parquet-go/parquet-go/compress/gzip"
	pqzstd "github.com/parquet-go/parquet-go/compress/zstd"
)

// arrowZstd is parquet-go's ZSTD codec with the encoder options arrow-go
// v18.8.0 uses (parquet/compress/zstd.go): the level mapped as arrow-go maps
// it, and WithAllLitEntropyCompression(true). Without that option
// klauspost's encoder skips Huffman coding of literals in blocks it finds
// few matches in, which is most of a page of bit-packed dictionary indices:
// pqarrow's pages of a dictionary string column compress ~15% better than
// parquet-go's default codec's, and parquet-go's sizes swing with page
// boundaries (benchmarks/RESULTS.md, "Schema-generic parquet-go vs pqarrow").
// Decoding is parquet-go's.
type arrowZstd struct {
	pqzstd.Codec
	level    kzstd.EncoderLevel
	encoders sync.Pool
}

func (c *arrowZstd) Encode(dst, src []byte) ([]byte, error) {
	e, _ := c.encoders.Get().(*kzstd.Encoder)
	if e == nil {
		var err error
		e, err = kzstd.NewWriter(nil, kzstd.WithEncoderLevel(c.level), kzstd.WithEncoderConcurrency(1),
			kzstd.WithZeroFrames(true), kzstd.WithEncoderCRC(false), kzstd.WithAllLitEntropyCompression(true))
		if err != nil {
			return dst, err
		}
	}
	defer c.encoders.Put(e)
	return e.EncodeAll(src, dst[:0]), nil
}

var (
	zstdMu     sync.Mutex
	zstdCodecs = map[kzstd.EncoderLevel]*arrowZstd{}
)

// ZstdCodec returns the shared ZSTD codec with arrow-go's encoder options at
// an arrow-go compression level (-1: klauspost SpeedDefault, as
// write.parquet.compression-level's default).
func ZstdCodec(level int) compress.Codec {
	l := kzstd.SpeedDefault
	if level != -1 {
		l = kzstd.EncoderLevelFromZstd(level)
	}
	zstdMu.Lock()
	defer zstdMu.Unlock()
	c := zstdCodecs[l]
	if c == nil {
		c = &arrowZstd{level: l}
		zstdCodecs[l] = c
	}
	return c
}

// codecFor maps write.parquet.compression-codec and -level to a parquet-go
// codec, as iceberg-go maps them to arrow-go's.
func codecFor(name string, level int) (compress.Codec, error) {
	switch strings.ToLower(name) {
	case "zstd":
		return ZstdCodec(level), nil
	case "snappy":
		return &pqgo.Snappy, nil
	case "uncompressed", "none":
		return &pqgo.Uncompressed, nil
	case "gzip":
		if level == -1 {
			return &pqgo.Gzip, nil
		}
		return &pqgzip.Codec{Level: level}, nil
	case "brotli":
		return &pqgo.Brotli, nil
	case "lz4", "lz4raw", "lz4_raw":
		return &pqgo.Lz4Raw, nil
	}
	return nil, fmt.Errorf("parquetw: compression codec %q is not supported", name)
}
