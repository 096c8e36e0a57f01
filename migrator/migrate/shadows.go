package migrate

import (
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/entity"
)

// shadowBucket holds, in a bucket per device, the controller's form of the
// entities its source holds in another form (proxy.ShadowStore), by
// entity key.
var shadowBucket = []byte("shadows")

// KeepShadows records ents (the controller's form) for device, replacing
// those of the same keys, in one transaction: the proxy calls it before
// the write that makes the source hold them otherwise.
func (j *BoltJournal) KeepShadows(device uint64, ents []*p4v1.Entity) error {
	type kv struct{ k, v []byte }
	kvs := make([]kv, 0, len(ents))
	for _, e := range ents {
		k, err := entity.Of(e)
		if err != nil {
			return fmt.Errorf("journal: shadow: %w", err)
		}
		v, err := proto.Marshal(e)
		if err != nil {
			return fmt.Errorf("journal: shadow: %w", err)
		}
		kvs = append(kvs, kv{[]byte(k), v})
	}
	return j.db.Update(func(tx *bolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(shadowBucket)
		if err != nil {
			return err
		}
		b, err := top.CreateBucketIfNotExists(key(device))
		if err != nil {
			return err
		}
		for _, x := range kvs {
			if err := b.Put(x.k, x.v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Shadows returns what KeepShadows recorded for device.
func (j *BoltJournal) Shadows(device uint64) ([]*p4v1.Entity, error) {
	var out []*p4v1.Entity
	err := j.db.View(func(tx *bolt.Tx) error {
		top := tx.Bucket(shadowBucket)
		if top == nil {
			return nil
		}
		b := top.Bucket(key(device))
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			e := &p4v1.Entity{}
			if err := proto.Unmarshal(v, e); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("journal: device %d: shadows: %w", device, err)
	}
	return out, nil
}

// ForgetShadows drops what KeepShadows recorded for device.
func (j *BoltJournal) ForgetShadows(device uint64) error {
	return j.db.Update(func(tx *bolt.Tx) error {
		top := tx.Bucket(shadowBucket)
		if top == nil || top.Bucket(key(device)) == nil {
			return nil
		}
		return top.DeleteBucket(key(device))
	})
}
