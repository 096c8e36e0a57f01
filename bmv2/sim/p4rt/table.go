package p4rt

import (
	"sync/atomic"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/info"
)

// tableState holds the entries of one table as P4Runtime reads them back.
// Entries live in slots; an entry's Handle is its slot index + 1, so
// handles are dense and reused after deletes, as bmv2's are.
type tableState struct {
	t     *info.Table
	slots []slot
	free  []int32
	index map[string]int32 // canonical key -> slot
	count int

	// def is the default entry as P4Runtime reads it back.
	def defaultEntry
	// idle holds the idle-timeout state of entries with a TTL.
	idle map[Handle]*idleState
}

type slot struct {
	key   string
	data  []byte // marshalled canonical TableEntry (no counter data)
	used  bool
	fixed bool // a const entry declared by the program
}

// defaultEntry is what the client wrote to the default entry.
type defaultEntry struct {
	action   *p4v1.Action // nil: the program's default
	cookie   uint64
	metadata []byte
	meter    *p4v1.MeterConfig
}

type idleState struct {
	ttl     int64
	lastHit atomic.Int64 // unix nanoseconds
}

func newTableState(t *info.Table, p *Pipeline) *tableState {
	ts := &tableState{t: t, index: map[string]int32{}}
	if t.IdleTimeout {
		ts.idle = map[Handle]*idleState{}
	}
	return ts
}

// add stores an entry and returns its handle.
func (ts *tableState) add(key string, data []byte, fixed bool) Handle {
	var i int32
	if n := len(ts.free); n > 0 {
		i = ts.free[n-1]
		ts.free = ts.free[:n-1]
	} else {
		i = int32(len(ts.slots))
		ts.slots = append(ts.slots, slot{})
	}
	ts.slots[i] = slot{key: key, data: data, used: true, fixed: fixed}
	ts.index[key] = i
	ts.count++
	return Handle(i + 1)
}

// lookup finds an entry by canonical key.
func (ts *tableState) lookup(key string) (Handle, *slot) {
	i, ok := ts.index[key]
	if !ok {
		return 0, nil
	}
	return Handle(i + 1), &ts.slots[i]
}

// remove deletes an entry.
func (ts *tableState) remove(h Handle) {
	i := int32(h - 1)
	s := &ts.slots[i]
	delete(ts.index, s.key)
	*s = slot{}
	ts.free = append(ts.free, i)
	ts.count--
}

// restore puts an entry back in the slot it had (rollback of a delete).
func (ts *tableState) restore(h Handle, s slot) {
	i := int32(h - 1)
	for k, f := range ts.free {
		if f == i {
			ts.free = append(ts.free[:k], ts.free[k+1:]...)
			break
		}
	}
	ts.slots[i] = s
	ts.index[s.key] = i
	ts.count++
}

// entry decodes the stored entry of slot s.
func (s *slot) entry() (*p4v1.TableEntry, error) { return decodeEntry(s.data) }

// decodeEntry decodes a table entry as slots store it.
func decodeEntry(data []byte) (*p4v1.TableEntry, error) {
	e := &p4v1.TableEntry{}
	if err := proto.Unmarshal(data, e); err != nil {
		return nil, errorf(ErrInternal, "stored table entry: %v", err)
	}
	return e, nil
}

var marshalOpts = proto.MarshalOptions{Deterministic: true}

// marshalEntry encodes a canonical entry for storage.
func marshalEntry(e *p4v1.TableEntry) []byte {
	b, err := marshalOpts.Marshal(e)
	if err != nil {
		// A TableEntry built by this package always marshals.
		panic("p4rt: marshal table entry: " + err.Error())
	}
	return b
}
