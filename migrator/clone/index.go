package clone

import (
	"context"
	"hash/maphash"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/migrator/snapshot"
	"github.com/lime-p4/lime/p4/entity"
)

// hasher turns keys and contents into 64-bit hashes, so that what the
// target holds is remembered in 24 bytes an entity, not as protos.
type hasher struct{ seed maphash.Seed }

func newHasher() hasher { return hasher{seed: maphash.MakeSeed()} }

func (h hasher) key(k entity.Key) uint64 { return maphash.String(h.seed, string(k)) }

var det = proto.MarshalOptions{Deterministic: true}

func (h hasher) msg(m *p4v1.Entity) uint64 {
	if m == nil {
		return 0
	}
	b, err := det.Marshal(m)
	if err != nil { // cannot happen for a valid proto; make it never equal
		return ^uint64(0)
	}
	return maphash.Bytes(h.seed, b)
}

// content hashes the configuration and the volatile values of e. Counter
// and register cells, which arrays hold by the ten thousand, are hashed from
// their values directly (as value does for cells read as cells); other
// entities through their normal form.
func (h hasher) content(e *p4v1.Entity) (cfg, vol uint64) {
	if v, ok := entity.CellValue(e); ok {
		return 0, h.value(v)
	}
	return h.msg(entity.Config(e)), h.msg(entity.Volatile(e))
}

// value hashes a cell's value (entity.CellValue).
func (h hasher) value(v []byte) uint64 { return maphash.Bytes(h.seed, v) }

type present struct {
	cfg, vol uint64
	seen     bool
}

// targetIndex is what the target holds for one request: key hash ->
// content hashes, and whether the source has it too.
type targetIndex map[uint64]present

// readTarget indexes the target's entities for a (translated) request.
func readTarget(ctx context.Context, r snapshot.Reader, req snapshot.Request, h hasher) (targetIndex, error) {
	idx := targetIndex{}
	for e, err := range snapshot.Read(ctx, r, req) {
		if err != nil {
			return idx, err
		}
		k, err := entity.Of(e)
		if err != nil {
			continue
		}
		entity.StripReadOnly(e) // as the source's entities are before they are compared
		cfg, vol := h.content(e)
		idx[h.key(k)] = present{cfg: cfg, vol: vol}
	}
	return idx, nil
}

// unseen reports whether some indexed entity was not matched by the source.
func (idx targetIndex) unseen() int {
	n := 0
	for _, p := range idx {
		if !p.seen {
			n++
		}
	}
	return n
}
