package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/wharfdata/wharf/engine/sql"
)

// rangeOffset binds the offset of a RANGE frame bound (N PRECEDING or N
// FOLLOWING): a distance on the window's single ORDER BY key, kept in the
// key's own units (Frame.StartN and EndN). Numeric keys take a
// non-negative integer; DATE keys a day-time INTERVAL of whole days (in
// days); TIMESTAMP keys a day-time INTERVAL (in the timestamp's unit).
func rangeOffset(fb *sql.FrameBound, order []winOrder) (int64, error) {
	if len(order) != 1 {
		return 0, errAt(Invalid, fb.Pos, "a RANGE frame with an offset needs exactly one ORDER BY key, not %d", len(order))
	}
	key := order[0].x.Type()
	switch key.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64:
		return constInt(fb.Offset, "a RANGE frame offset over "+typeName(key))
	case arrow.DATE32, arrow.TIMESTAMP:
	default:
		return 0, errAt(Unsupported, fb.Pos, "RANGE frames with offsets over %s are not supported yet (order by a number, DATE or TIMESTAMP)", typeName(key))
	}
	iv, ok := fb.Offset.(*sql.Interval)
	var us int64
	if ok {
		v, err := intervalLiteral(iv)
		if err != nil {
			return 0, errAt(Invalid, iv.Pos, "%v", err)
		}
		d, isDayTime := v.(*scalar.Duration)
		if !isDayTime {
			return 0, errAt(Unsupported, iv.Pos, "RANGE offsets in months or years are not supported yet (use a DAY TO SECOND interval)")
		}
		us = int64(d.Value)
	}
	if !ok || us < 0 {
		return 0, errAt(Invalid, fb.Offset.Position(), "a RANGE frame over %s needs a non-negative INTERVAL offset, such as INTERVAL '1' HOUR", typeName(key))
	}
	if key.ID() == arrow.DATE32 {
		const day = 86_400_000_000
		if us%day != 0 {
			return 0, errAt(Invalid, fb.Offset.Position(), "a RANGE frame over DATE needs an offset of whole days")
		}
		return us / day, nil
	}
	switch key.(*arrow.TimestampType).Unit {
	case arrow.Second:
		return us / 1_000_000, nil
	case arrow.Millisecond:
		return us / 1_000, nil
	case arrow.Nanosecond:
		return us * 1_000, nil
	}
	return us, nil
}
