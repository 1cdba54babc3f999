package expr

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// String functions. Positions and lengths count characters (Unicode code
// points; Java counts UTF-16 units, which differs only outside the BMP).
// Positions are 1-based. Functions are NULL on a NULL argument unless noted.

type strFn = func(r *rows, i int, dst []byte) ([]byte, bool, error)

func strSig(f strFn, params ...arrow.DataType) sig { return fn(tStr, rowStr(true, f), params...) }

func i32Sig(f func(r *rows, i int) (int32, bool, error), params ...arrow.DataType) sig {
	return fn(tI32, rowFixed[int32](tI32, true, f), params...)
}

func init() {
	register(def("||", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		return append(append(dst, r.str(0, i)...), r.str(1, i)...), true, nil
	}, tStr, tStr)))
	registry["||"].hidden = true
	register(def("CHAR_LENGTH", i32Sig(func(r *rows, i int) (int32, bool, error) {
		return int32(utf8.RuneCountInString(r.str(0, i))), true, nil
	}, tStr)), "CHARACTER_LENGTH", "LENGTH")
	register(def("UPPER", fn(tStr, caseEval(true), tStr)), "UCASE")
	register(def("LOWER", fn(tStr, caseEval(false), tStr)), "LCASE")
	register(custom("TRIM", 3, 3, trimResolve))
	register(def("LTRIM", strSig(trimFn("LEADING"), tStr, tStr).opt(1)))
	register(def("RTRIM", strSig(trimFn("TRAILING"), tStr, tStr).opt(1)))
	register(def("BTRIM", strSig(trimFn("BOTH"), tStr, tStr).opt(1)))
	register(def("LPAD", strSig(padFn(true), tStr, tI32, tStr)))
	register(def("RPAD", strSig(padFn(false), tStr, tI32, tStr)))
	register(def("REPEAT", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		s, k := r.str(0, i), r.int(1, i)
		if k > 0 && int64(len(s))*k > 1<<30 {
			return nil, false, fmt.Errorf("REPEAT: result of %d bytes is too large", int64(len(s))*k)
		}
		for ; k > 0; k-- {
			dst = append(dst, s...)
		}
		return dst, true, nil
	}, tStr, tI32)))
	register(def("REPLACE", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		s, from, to := r.str(0, i), r.str(1, i), r.str(2, i)
		if from == "" {
			return append(dst, s...), true, nil
		}
		for {
			j := strings.Index(s, from)
			if j < 0 {
				return append(dst, s...), true, nil
			}
			dst = append(append(dst, s[:j]...), to...)
			s = s[j+len(from):]
		}
	}, tStr, tStr, tStr)))
	register(def("REVERSE", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		s := r.str(0, i)
		for len(s) > 0 {
			_, size := utf8.DecodeLastRuneInString(s)
			dst = append(dst, s[len(s)-size:]...)
			s = s[:len(s)-size]
		}
		return dst, true, nil
	}, tStr)))
	register(def("SUBSTRING", strSig(substringFn, tStr, tI32, tI32).opt(2)), "SUBSTR")
	register(def("OVERLAY", strSig(overlayFn, tStr, tStr, tI32, tI32).opt(3)))
	register(def("POSITION", i32Sig(func(r *rows, i int) (int32, bool, error) {
		return locate(r.str(0, i), r.str(1, i), 1), true, nil
	}, tStr, tStr)))
	register(def("LOCATE", i32Sig(func(r *rows, i int) (int32, bool, error) {
		start := int64(1)
		if len(r.args) > 2 {
			start = r.int(2, i)
		}
		return locate(r.str(0, i), r.str(1, i), start), true, nil
	}, tStr, tStr, tI32).opt(2)))
	register(def("INSTR", i32Sig(func(r *rows, i int) (int32, bool, error) {
		return locate(r.str(1, i), r.str(0, i), 1), true, nil
	}, tStr, tStr)))
	register(def("INITCAP", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		start := true
		for _, c := range r.str(0, i) {
			if start {
				dst = utf8.AppendRune(dst, unicode.ToUpper(c))
			} else {
				dst = utf8.AppendRune(dst, unicode.ToLower(c))
			}
			start = !(unicode.IsLetter(c) || unicode.IsDigit(c))
		}
		return dst, true, nil
	}, tStr)))
	register(def("CONCAT", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		for k := range r.args {
			dst = append(dst, r.str(k, i)...)
		}
		return dst, true, nil
	}, tStr).varargs()))
	// CONCAT_WS skips NULL strings; a NULL separator gives NULL.
	register(def("CONCAT_WS", fn(tStr, rowStr(false, func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		if r.null(0, i) {
			return nil, false, nil
		}
		sep, first := r.str(0, i), true
		for k := 1; k < len(r.args); k++ {
			if r.null(k, i) {
				continue
			}
			if !first {
				dst = append(dst, sep...)
			}
			dst, first = append(dst, r.str(k, i)...), false
		}
		return dst, true, nil
	}), tStr, tStr).varargs().nullHandling().opt(1)))
	register(def("LEFT", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		s, k := r.str(0, i), r.int(1, i)
		return append(dst, s[:runeOffset(s, k)]...), true, nil
	}, tStr, tI32)))
	register(def("RIGHT", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		s, k := r.str(0, i), r.int(1, i)
		if k <= 0 {
			return dst, true, nil
		}
		n := int64(utf8.RuneCountInString(s))
		return append(dst, s[runeOffset(s, max(0, n-k)):]...), true, nil
	}, tStr, tI32)))
	// SPLIT_INDEX(s, sep, i): the i-th (0-based) piece, NULL when absent.
	register(def("SPLIT_INDEX", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		s, sep, k := r.str(0, i), r.str(1, i), r.int(2, i)
		if k < 0 || sep == "" {
			return nil, false, nil
		}
		for ; k > 0; k-- {
			j := strings.Index(s, sep)
			if j < 0 {
				return nil, false, nil
			}
			s = s[j+len(sep):]
		}
		if j := strings.Index(s, sep); j >= 0 {
			s = s[:j]
		}
		return append(dst, s...), true, nil
	}, tStr, tStr, tI32)))
	register(def("ASCII", i32Sig(func(r *rows, i int) (int32, bool, error) {
		s := r.str(0, i)
		if s == "" {
			return 0, true, nil
		}
		return int32(s[0]), true, nil
	}, tStr)))
	// CHR(n): codes above 255 are taken modulo 255, as Flink documents.
	register(def("CHR", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		n := r.int(0, i)
		if n < 0 {
			return nil, false, nil
		}
		if n > 255 {
			n %= 255
		}
		return utf8.AppendRune(dst, rune(n)), true, nil
	}, tI64)))
	register(def("MD5", strSig(hashFn(md5.New), tStr)))
	register(def("SHA1", strSig(hashFn(sha1.New), tStr)))
	register(def("SHA224", strSig(hashFn(sha256.New224), tStr)))
	register(def("SHA256", strSig(hashFn(sha256.New), tStr)))
	register(def("SHA384", strSig(hashFn(sha512.New384), tStr)))
	register(def("SHA512", strSig(hashFn(sha512.New), tStr)))
	register(def("SHA2", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		var h hash.Hash
		switch r.int(1, i) {
		case 224:
			h = sha256.New224()
		case 256, 0:
			h = sha256.New()
		case 384:
			h = sha512.New384()
		case 512:
			h = sha512.New()
		default:
			return nil, false, nil
		}
		h.Write([]byte(r.str(0, i)))
		return hex.AppendEncode(dst, h.Sum(nil)), true, nil
	}, tStr, tI32)))
	register(def("TO_BASE64", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		return base64.StdEncoding.AppendEncode(dst, []byte(r.str(0, i))), true, nil
	}, tStr), strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		return base64.StdEncoding.AppendEncode(dst, r.args[0].s.bytesAt(i)), true, nil
	}, tBin)))
	register(def("FROM_BASE64", strSig(func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		b, err := base64.StdEncoding.AppendDecode(dst, []byte(r.str(0, i)))
		return b, err == nil, nil // invalid input is NULL
	}, tStr)))
	register(def("UUID", strSig(func(_ *rows, _ int, dst []byte) ([]byte, bool, error) {
		var u [16]byte
		_, _ = rand.Read(u[:])
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		h := hex.EncodeToString(u[:])
		return append(dst, h[:8]+"-"+h[8:12]+"-"+h[12:16]+"-"+h[16:20]+"-"+h[20:]...), true, nil
	}).nonDet()))
}

// runeOffset is the byte offset of the k-th character (clamped).
func runeOffset(s string, k int64) int {
	if k <= 0 {
		return 0
	}
	for off := range s {
		if k == 0 {
			return off
		}
		k--
	}
	return len(s)
}

// locate finds needle in s at or after character position start (1-based);
// 0 when absent.
func locate(needle, s string, start int64) int32 {
	if start < 1 {
		return 0
	}
	off := runeOffset(s, start-1)
	if start > 1 && off == len(s) && int64(utf8.RuneCountInString(s)) < start-1 {
		return 0
	}
	j := strings.Index(s[off:], needle)
	if j < 0 {
		return 0
	}
	return int32(utf8.RuneCountInString(s[:off+j]) + 1)
}

// caseEval is UPPER/LOWER. Fast path: ASCII rows convert byte by byte into a
// reused buffer; other rows go through unicode.
func caseEval(upper bool) evalFn {
	return func(ctx *EvalContext, args []Datum, n int) (arrow.Array, error) {
		if a, ok := args[0].Array.(*array.String); ok {
			if out := asciiCase(ctx, a, upper); out != nil {
				return out, nil
			}
		}
		s := rdStr(args[0])
		out := newStrOut(ctx, n, dataLen(args[0], n))
		var buf []byte
		for i := 0; i < n; i++ {
			if s.isNull(i) {
				out.null()
				continue
			}
			b := s.bytesAt(i)
			buf = buf[:0]
			ascii := true
			for _, c := range b {
				if c >= utf8.RuneSelf {
					ascii = false
					break
				}
				if upper && 'a' <= c && c <= 'z' {
					c -= 'a' - 'A'
				} else if !upper && 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf = append(buf, c)
			}
			if !ascii { // Slow path
				if upper {
					buf = append(buf[:0], strings.ToUpper(javaUpperSpecial.Replace(string(b)))...)
				} else {
					buf = append(buf[:0], strings.ToLower(string(b))...)
				}
			}
			out.add(buf)
		}
		return out.finish(), nil
	}
}

// asciiCase is UPPER/LOWER's fast path for an all-ASCII column: the output
// shares the input's shape, so one pass over the bytes converts it and the
// offsets and validity are copied as they are. nil when some byte is not
// ASCII.
func asciiCase(ctx *EvalContext, a *array.String, upper bool) arrow.Array {
	n := a.Len()
	offs := a.ValueOffsets()
	var data []byte
	if bufs := a.Data().Buffers(); bufs[2] != nil {
		data = bufs[2].Bytes()[offs[0]:offs[n]]
	}
	for _, c := range data {
		if c >= utf8.RuneSelf {
			return nil
		}
	}
	mem := ctx.alloc()
	db := memory.NewResizableBuffer(mem)
	db.Resize(len(data))
	out := db.Bytes()
	lo, hi, delta := byte('a'), byte('z'), byte(256-int('a'-'A'))
	if !upper {
		lo, hi, delta = 'A', 'Z', byte('a'-'A')
	}
	for i, c := range data {
		if lo <= c && c <= hi {
			c += delta
		}
		out[i] = c
	}
	ob := memory.NewResizableBuffer(mem)
	ob.Resize((n + 1) * 4)
	no := arrow.Int32Traits.CastFromBytes(ob.Bytes())
	for i, o := range offs[:n+1] {
		no[i] = o - offs[0]
	}
	var vb *memory.Buffer
	if a.NullN() > 0 {
		vb = memory.NewResizableBuffer(mem)
		vb.Resize(int(bitutil.BytesForBits(int64(n))))
		bitutil.CopyBitmap(a.NullBitmapBytes(), a.Data().Offset(), n, vb.Bytes(), 0)
	}
	d := array.NewData(tStr, n, []*memory.Buffer{vb, ob, db}, nil, a.NullN(), 0)
	res := array.MakeFromData(d)
	d.Release()
	for _, b := range []*memory.Buffer{vb, ob, db} {
		if b != nil {
			b.Release()
		}
	}
	return res
}

func trimChars(s, chars string, side string) string {
	if side != "TRAILING" {
		s = strings.TrimLeft(s, chars)
	}
	if side != "LEADING" {
		s = strings.TrimRight(s, chars)
	}
	return s
}

// trimFn: LTRIM/RTRIM/BTRIM(s[, chars]); the default removes spaces.
func trimFn(side string) strFn {
	return func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		chars := " "
		if len(r.args) > 1 {
			chars = r.str(1, i)
		}
		return append(dst, trimChars(r.str(0, i), chars, side)...), true, nil
	}
}

// trimResolve: TRIM(side, chars, s) as the binder passes TRIM(BOTH 'x' FROM s).
func trimResolve(args []Expr) (*Func, []Expr, error) {
	side, err := unitArg(args[0], "TRIM side")
	if err != nil {
		return nil, nil, err
	}
	if side != "BOTH" && side != "LEADING" && side != "TRAILING" {
		return nil, nil, fmt.Errorf("TRIM: side must be BOTH, LEADING or TRAILING, got %s", side)
	}
	if !implicitOK(args[1].Type(), tStr) || !implicitOK(args[2].Type(), tStr) {
		return nil, nil, errArgTypes("TRIM", args)
	}
	f := rowStr(true, func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		return append(dst, trimChars(r.str(2, i), r.str(1, i), side)...), true, nil
	})
	return &Func{Name: "TRIM", Result: tStr, NullOnNull: true, Deterministic: true, Eval: f},
		[]Expr{strLit(side), coerce(args[1], tStr), coerce(args[2], tStr)}, nil
}

// padFn: LPAD/RPAD(s, len, pad) truncate s to len characters when longer;
// a negative len or an empty pad that would be needed gives NULL.
func padFn(left bool) strFn {
	return func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		s, n, pad := r.str(0, i), r.int(1, i), r.str(2, i)
		if n < 0 {
			return nil, false, nil
		}
		if n > 1<<28 {
			return nil, false, fmt.Errorf("LPAD/RPAD: length %d is too large", n)
		}
		have := int64(utf8.RuneCountInString(s))
		if have >= n {
			return append(dst, s[:runeOffset(s, n)]...), true, nil
		}
		if pad == "" {
			return nil, false, nil
		}
		if !left {
			dst = append(dst, s...)
		}
		for need := n - have; need > 0; {
			for _, c := range pad {
				if need == 0 {
					break
				}
				dst = utf8.AppendRune(dst, c)
				need--
			}
		}
		if left {
			dst = append(dst, s...)
		}
		return dst, true, nil
	}
}

// substringFn: SUBSTRING(s, from[, len]); from <= 0 counts as 1 minus the
// characters before the start (SQL standard), a negative len is an error
// in Flink, here empty.
func substringFn(r *rows, i int, dst []byte) ([]byte, bool, error) {
	s, from := r.str(0, i), r.int(1, i)
	n := int64(utf8.RuneCountInString(s))
	end := n + 1
	if len(r.args) > 2 {
		l := r.int(2, i)
		if l < 0 {
			return dst, true, nil
		}
		end = from + l
	}
	start := max(from, 1)
	end = min(end, n+1)
	if end <= start {
		return dst, true, nil
	}
	return append(dst, s[runeOffset(s, start-1):runeOffset(s, end-1)]...), true, nil
}

// overlayFn: OVERLAY(s PLACING p FROM from [FOR len]); len defaults to the
// length of p.
func overlayFn(r *rows, i int, dst []byte) ([]byte, bool, error) {
	s, p, from := r.str(0, i), r.str(1, i), r.int(2, i)
	l := int64(utf8.RuneCountInString(p))
	if len(r.args) > 3 {
		l = r.int(3, i)
	}
	if from < 1 {
		from = 1
	}
	cut := runeOffset(s, from-1)
	dst = append(append(dst, s[:cut]...), p...)
	return append(dst, s[runeOffset(s, from-1+max(l, 0)):]...), true, nil
}

func hashFn(h func() hash.Hash) strFn {
	return func(r *rows, i int, dst []byte) ([]byte, bool, error) {
		x := h()
		x.Write([]byte(r.str(0, i)))
		var sum [64]byte
		return hex.AppendEncode(dst, x.Sum(sum[:0])), true, nil
	}
}

// javaUpperSpecial applies the multi-character upper-case mappings of
// Unicode's SpecialCasing that Java's toUpperCase (and so Flink's UPPER) uses
// and Go's single-rune case mapping does not: ß is SS, ligatures split.
var javaUpperSpecial = strings.NewReplacer(
	"ß", "SS", "ŉ", "ʼN",
	"ﬀ", "FF", "ﬁ", "FI", "ﬂ", "FL", "ﬃ", "FFI", "ﬄ", "FFL", "ﬅ", "ST", "ﬆ", "ST",
)
