package commit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// TxID is the idempotency key of one epoch of one job on one table: the same
// inputs always give the same key, in any incarnation of the job.
func TxID(job, tableUUID string, epoch uint64) string {
	h := sha256.New()
	h.Write([]byte("wharf-txid-v1\x00"))
	h.Write([]byte(job))
	h.Write([]byte{0})
	h.Write([]byte(tableUUID))
	h.Write([]byte{0})
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], epoch)
	h.Write(b[:])
	return hex.EncodeToString(h.Sum(nil)[:16])
}
