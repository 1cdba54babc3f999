package parquetw

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/google/uuid"
	"github.com/twmb/murmur3"
)

// op is how a partition field turns a source value into its key.
type op uint8

const (
	opSlow      op = iota // an iceberg.Literal per row through Transform.Apply
	opVoid                // always null
	opIdentity            // integer-like or byte-like value as is
	opDayTS               // day(timestamp) in days since the epoch
	opHourTS              // hour(timestamp) in hours since the epoch
	opMonthTS             // month(timestamp) in months since 1970-01
	opYearTS              // year(timestamp) in years since 1970
	opMonthDate           // month(date)
	opYearDate            // year(date)
	opBucket              // bucket(n): murmur3 of Iceberg's hash input, mod n
	opTruncate            // truncate(w): integers down to a multiple of w, strings to w code points, binary to w bytes
)

const (
	microsPerDay  = 86_400_000_000
	microsPerHour = 3_600_000_000
)

// partField computes one partition field's values for the rows of a batch
// as dense ids: rows with the same partition value get the same id. The
// value of an id is iceberg-go's: the field's iceberg.Transform applied to
// the source literal of the first row that got it.
//
// Fast path: integer-like sources (int, long, date, time, timestamp,
// boolean) under identity, bucket, truncate and the time transforms, and
// string/binary/fixed/uuid sources under identity, truncate and bucket, key
// a map by the transformed value with no allocation per row.
// Slow path: any other (decimal, float, double sources; bucket of a uuid)
// builds a literal per row.
type partField struct {
	pf      iceberg.PartitionField
	src     int // input column; -1: absent from the input (null)
	srcType iceberg.PrimitiveType
	op      op
	n       int64 // bucket count or truncate width
	ints    map[int64]int32
	strs    map[string]int32
	values  []any // per id: the partition value (nil: null)
	nullID  int32
	scratch [8]byte
}

func newPartField(pf iceberg.PartitionField, src int, srcType iceberg.PrimitiveType) *partField {
	f := &partField{pf: pf, src: src, srcType: srcType, nullID: -1, ints: map[int64]int32{}, strs: map[string]int32{}}
	intLike, byteLike := false, false
	switch srcType.(type) {
	case iceberg.Int32Type, iceberg.Int64Type, iceberg.DateType, iceberg.TimeType, iceberg.TimestampType, iceberg.TimestampTzType, iceberg.BooleanType:
		intLike = true
	case iceberg.StringType, iceberg.BinaryType, iceberg.FixedType, iceberg.UUIDType:
		byteLike = true
	}
	_, isDate := srcType.(iceberg.DateType)
	_, isBool := srcType.(iceberg.BooleanType)
	_, isUUID := srcType.(iceberg.UUIDType)
	switch t := pf.Transform.(type) {
	case iceberg.VoidTransform:
		f.op = opVoid
	case iceberg.IdentityTransform:
		if intLike || byteLike {
			f.op = opIdentity
		}
	case iceberg.BucketTransform:
		if (intLike && !isBool) || (byteLike && !isUUID) {
			f.op, f.n = opBucket, int64(t.NumBuckets)
		}
	case iceberg.TruncateTransform:
		switch srcType.(type) {
		case iceberg.Int32Type, iceberg.Int64Type, iceberg.StringType, iceberg.BinaryType:
			f.op, f.n = opTruncate, int64(t.Width)
		}
	case iceberg.DayTransform:
		if isDate {
			f.op = opIdentity
		} else if intLike {
			f.op = opDayTS
		}
	case iceberg.HourTransform:
		if intLike && !isDate {
			f.op = opHourTS
		}
	case iceberg.MonthTransform:
		if isDate {
			f.op = opMonthDate
		} else if intLike {
			f.op = opMonthTS
		}
	case iceberg.YearTransform:
		if isDate {
			f.op = opYearDate
		} else if intLike {
			f.op = opYearTS
		}
	}
	if f.op == opBucket && f.n <= 0 || f.op == opTruncate && f.n <= 0 {
		f.op = opSlow
	}
	return f
}

// ids sets dst[i] to the id of row i's partition value (col nil: absent).
func (f *partField) ids(col arrow.Array, dst []int32) error {
	if col == nil || f.op == opVoid {
		id := f.null()
		for i := range dst {
			dst[i] = id
		}
		return nil
	}
	col = unwrap(col)
	switch a := col.(type) {
	case *array.Int32:
		return intIDs(f, a.Int32Values(), col, dst)
	case *array.Int64:
		return intIDs(f, a.Int64Values(), col, dst)
	case *array.Date32:
		return intIDs(f, a.Date32Values(), col, dst)
	case *array.Time64:
		return intIDs(f, a.Time64Values(), col, dst)
	case *array.Timestamp:
		return intIDs(f, a.TimestampValues(), col, dst)
	case *array.String:
		return strIDs(f, col, dst, a.Value)
	case *array.LargeString:
		return strIDs(f, col, dst, a.Value)
	case *array.Binary:
		return strIDs(f, col, dst, func(i int) string { return unsafeString(a.Value(i)) })
	case *array.LargeBinary:
		return strIDs(f, col, dst, func(i int) string { return unsafeString(a.Value(i)) })
	case *array.FixedSizeBinary:
		return strIDs(f, col, dst, func(i int) string { return unsafeString(a.Value(i)) })
	case *array.Boolean:
		if f.op != opSlow {
			nulls := col.NullN() > 0
			for i := range dst {
				if nulls && col.IsNull(i) {
					dst[i] = f.null()
					continue
				}
				k := int64(0)
				if a.Value(i) {
					k = 1
				}
				id, err := f.intID(k, col, i)
				if err != nil {
					return err
				}
				dst[i] = id
			}
			return nil
		}
	}
	return f.slowIDs(col, dst)
}

func (f *partField) null() int32 {
	if f.nullID < 0 {
		f.nullID = int32(len(f.values))
		f.values = append(f.values, nil)
	}
	return f.nullID
}

func intIDs[T ~int32 | ~int64](f *partField, vs []T, col arrow.Array, dst []int32) error {
	if f.op == opSlow {
		return f.slowIDs(col, dst)
	}
	nulls := col.NullN() > 0
	for i, v := range vs[:len(dst)] {
		if nulls && col.IsNull(i) {
			dst[i] = f.null()
			continue
		}
		k := f.intKey(int64(v))
		// Fast path: a value seen before.
		if id, ok := f.ints[k]; ok {
			dst[i] = id
			continue
		}
		id, err := f.intID(k, col, i)
		if err != nil {
			return err
		}
		dst[i] = id
	}
	return nil
}

// intKey transforms an integer-like source value (days for a date,
// microseconds for a time or timestamp).
func (f *partField) intKey(v int64) int64 {
	switch f.op {
	case opDayTS:
		return floorDiv(v, microsPerDay)
	case opHourTS:
		return floorDiv(v, microsPerHour)
	case opMonthTS:
		return monthsOfDays(floorDiv(v, microsPerDay))
	case opYearTS:
		return yearsOfDays(floorDiv(v, microsPerDay))
	case opMonthDate:
		return monthsOfDays(v)
	case opYearDate:
		return yearsOfDays(v)
	case opBucket:
		// Iceberg hashes int, long, date, time and timestamp values as a long.
		binary.LittleEndian.PutUint64(f.scratch[:], uint64(v))
		return int64((int32(murmur3.Sum32(f.scratch[:])) & math.MaxInt32) % int32(f.n))
	case opTruncate:
		return v - (((v % f.n) + f.n) % f.n)
	}
	return v
}

// intID returns the id of key k, making one (with its value from row i of
// col) if it is new.
func (f *partField) intID(k int64, col arrow.Array, i int) (int32, error) {
	if id, ok := f.ints[k]; ok {
		return id, nil
	}
	v, err := f.valueAt(col, i)
	if err != nil {
		return 0, err
	}
	id := int32(len(f.values))
	f.values = append(f.values, v)
	f.ints[k] = id
	return id, nil
}

func strIDs(f *partField, col arrow.Array, dst []int32, value func(int) string) error {
	if f.op == opSlow {
		return f.slowIDs(col, dst)
	}
	_, isString := f.srcType.(iceberg.StringType)
	nulls := col.NullN() > 0
	for i := range dst {
		if nulls && col.IsNull(i) {
			dst[i] = f.null()
			continue
		}
		v := value(i)
		switch f.op {
		case opBucket:
			k := int64((int32(murmur3.Sum32(unsafeBytes(v))) & math.MaxInt32) % int32(f.n))
			id, err := f.intID(k, col, i)
			if err != nil {
				return err
			}
			dst[i] = id
			continue
		case opTruncate:
			if isString {
				v = truncateRunes(v, int(f.n))
			} else if len(v) > int(f.n) {
				v = v[:f.n]
			}
		}
		// Fast path: a value seen before.
		if id, ok := f.strs[v]; ok {
			dst[i] = id
			continue
		}
		pv, err := f.valueAt(col, i)
		if err != nil {
			return err
		}
		id := int32(len(f.values))
		f.values = append(f.values, pv)
		f.strs[strings.Clone(v)] = id
		dst[i] = id
	}
	return nil
}

// slowIDs keys rows by the Iceberg serialization of their transformed
// literal, one literal per row.
func (f *partField) slowIDs(col arrow.Array, dst []int32) error {
	for i := range dst {
		if col.IsNull(i) {
			dst[i] = f.null()
			continue
		}
		lit, err := literalAt(col, i, f.srcType)
		if err != nil {
			return err
		}
		out := f.pf.Transform.Apply(iceberg.Optional[iceberg.Literal]{Valid: true, Val: lit})
		if !out.Valid {
			dst[i] = f.null()
			continue
		}
		key, err := out.Val.MarshalBinary()
		if err != nil {
			return err
		}
		if id, ok := f.strs[string(key)]; ok {
			dst[i] = id
			continue
		}
		id := int32(len(f.values))
		f.values = append(f.values, out.Val.Any())
		f.strs[string(key)] = id
		dst[i] = id
	}
	return nil
}

// valueAt is the partition value of row i: the transform applied to the
// row's literal, as iceberg-go's fan-out writer computes it.
func (f *partField) valueAt(col arrow.Array, i int) (any, error) {
	lit, err := literalAt(col, i, f.srcType)
	if err != nil {
		return nil, err
	}
	out := f.pf.Transform.Apply(iceberg.Optional[iceberg.Literal]{Valid: true, Val: lit})
	if !out.Valid {
		return nil, nil
	}
	return out.Val.Any(), nil
}

// literalAt is row i of col (not null) as a literal of Iceberg type t.
func literalAt(col arrow.Array, i int, t iceberg.PrimitiveType) (iceberg.Literal, error) {
	switch a := unwrap(col).(type) {
	case *array.Boolean:
		return iceberg.BoolLiteral(a.Value(i)), nil
	case *array.Int32:
		return iceberg.Int32Literal(a.Value(i)), nil
	case *array.Int64:
		return iceberg.Int64Literal(a.Value(i)), nil
	case *array.Float32:
		return iceberg.Float32Literal(a.Value(i)), nil
	case *array.Float64:
		return iceberg.Float64Literal(a.Value(i)), nil
	case *array.Decimal128:
		return iceberg.DecimalLiteral(iceberg.Decimal{Val: a.Value(i), Scale: int(a.DataType().(*arrow.Decimal128Type).Scale)}), nil
	case *array.Date32:
		return iceberg.DateLiteral(a.Value(i)), nil
	case *array.Time64:
		return iceberg.TimeLiteral(a.Value(i)), nil
	case *array.Timestamp:
		return iceberg.TimestampLiteral(a.Value(i)), nil
	case *array.String:
		return iceberg.StringLiteral(strings.Clone(a.Value(i))), nil
	case *array.LargeString:
		return iceberg.StringLiteral(strings.Clone(a.Value(i))), nil
	case *array.Binary:
		return iceberg.BinaryLiteral(append([]byte(nil), a.Value(i)...)), nil
	case *array.LargeBinary:
		return iceberg.BinaryLiteral(append([]byte(nil), a.Value(i)...)), nil
	case *array.FixedSizeBinary:
		b := append([]byte(nil), a.Value(i)...)
		switch t.(type) {
		case iceberg.UUIDType:
			u, err := uuid.FromBytes(b)
			if err != nil {
				return nil, err
			}
			return iceberg.UUIDLiteral(u), nil
		case iceberg.BinaryType:
			return iceberg.BinaryLiteral(b), nil
		}
		return iceberg.FixedLiteral(b), nil
	}
	return nil, fmt.Errorf("parquetw: no partition literal for Arrow type %s", col.DataType())
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// civil converts days since 1970-01-01 to a proleptic Gregorian year and
// month (1-12) (Howard Hinnant's civil_from_days).
func civil(days int64) (year, month int64) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m
}

func monthsOfDays(days int64) int64 {
	y, m := civil(days)
	return (y-1970)*12 + m - 1
}

func yearsOfDays(days int64) int64 {
	y, _ := civil(days)
	return y - 1970
}

// truncateRunes keeps the first n code points of s.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s // at most n bytes: at most n code points
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// partitioner assigns each row of a batch the id of its partition: a dense
// id per distinct tuple of partition values over the whole write.
type partitioner struct {
	fields []*partField
	perFld [][]int32 // scratch: each field's ids for the rows of a batch
	ids    []int32
	combo  map[string]int32 // tuple of field ids → partition id (two fields or more)
	tuples [][]int32        // partition id → its field ids
	key    []byte
}

// newPartitioner returns the partitioner of spec; with no fields, assign
// returns nil (one partition).
func newPartitioner(spec iceberg.PartitionSpec, sc *iceberg.Schema, cols []column) (*partitioner, error) {
	p := &partitioner{combo: map[string]int32{}}
	for _, pf := range spec.Fields() {
		t, ok := sc.FindTypeByID(pf.SourceID())
		if !ok {
			return nil, fmt.Errorf("parquetw: partition field %s: source field id %d is not in the schema", pf.Name, pf.SourceID())
		}
		pt, ok := t.(iceberg.PrimitiveType)
		if !ok {
			return nil, fmt.Errorf("parquetw: partition field %s: source type %s is not primitive", pf.Name, t)
		}
		src := -1
		for _, c := range cols {
			if c.fieldID == pf.SourceID() {
				src = c.src
			}
		}
		p.fields = append(p.fields, newPartField(pf, src, pt))
	}
	p.perFld = make([][]int32, len(p.fields))
	return p, nil
}

func (p *partitioner) count() int {
	switch len(p.fields) {
	case 0:
		return 1
	case 1:
		return len(p.fields[0].values)
	}
	return len(p.tuples)
}

// values are the partition values of partition id, in spec order.
func (p *partitioner) values(id int) []any {
	out := make([]any, len(p.fields))
	if len(p.fields) == 1 {
		out[0] = p.fields[0].values[id]
		return out
	}
	for i, fid := range p.tuples[id] {
		out[i] = p.fields[i].values[fid]
	}
	return out
}

// assign returns the partition id of each row of rec (nil: unpartitioned).
// The slice is reused by the next call.
func (p *partitioner) assign(rec arrow.RecordBatch) ([]int32, error) {
	if len(p.fields) == 0 {
		return nil, nil
	}
	n := int(rec.NumRows())
	for i, f := range p.fields {
		p.perFld[i] = slices.Grow(p.perFld[i][:0], n)[:n]
		var col arrow.Array
		if f.src >= 0 {
			col = rec.Column(f.src)
		}
		if err := f.ids(col, p.perFld[i]); err != nil {
			return nil, fmt.Errorf("parquetw: partition field %s: %w", f.pf.Name, err)
		}
	}
	if len(p.fields) == 1 {
		return p.perFld[0], nil
	}
	p.ids = slices.Grow(p.ids[:0], n)[:n]
	for r := range n {
		p.key = p.key[:0]
		for i := range p.fields {
			p.key = binary.LittleEndian.AppendUint32(p.key, uint32(p.perFld[i][r]))
		}
		// Fast path: a tuple seen before (the lookup does not allocate).
		id, ok := p.combo[string(p.key)]
		if !ok {
			id = int32(len(p.tuples))
			t := make([]int32, len(p.fields))
			for i := range p.fields {
				t[i] = p.perFld[i][r]
			}
			p.tuples = append(p.tuples, t)
			p.combo[string(p.key)] = id
		}
		p.ids[r] = id
	}
	return p.ids, nil
}

// IdentityValue is the identity partition value of row 0 of col (a column
// of Iceberg type t) as data files record it, or nil when the row is NULL:
// what INSERT OVERWRITE … PARTITION (col = v) compares live files against.
func IdentityValue(col arrow.Array, t iceberg.Type) (any, error) {
	if col.Len() == 0 || col.IsNull(0) || col.DataType().ID() == arrow.NULL {
		return nil, nil
	}
	pt, ok := t.(iceberg.PrimitiveType)
	if !ok {
		return nil, fmt.Errorf("parquetw: %s cannot be a partition source", t)
	}
	lit, err := literalAt(col, 0, pt)
	if err != nil {
		return nil, err
	}
	return lit.Any(), nil
}
