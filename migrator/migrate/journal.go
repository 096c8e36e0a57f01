package migrate

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BoltJournal keeps migrations in a bbolt file: for each virtual device the
// latest state of its migration and what was asked for (the spec, opaque
// here). It is safe for concurrent use.
type BoltJournal struct{ db *bolt.DB }

var (
	bucket     = []byte("migrations")
	planBucket = []byte("plans")
	planKey    = []byte("plan")
)

// Record is a journalled migration.
type Record struct {
	Device uint64          `json:"device"`
	Spec   json.RawMessage `json:"spec"`
	State  State           `json:"state"`
	// CutOver is what the device keeps from its source once cut over
	// (opaque here: the proxy's CutOverState).
	CutOver json.RawMessage `json:"cut_over,omitempty"`
	// Offsets are the counts the device keeps from a mirror an abort
	// detached (opaque here: the proxy's Offsets). A new migration of the
	// device keeps them in its record.
	Offsets json.RawMessage `json:"offsets,omitempty"`
	Updated time.Time       `json:"updated"`
}

// OpenJournal opens (creating it if needed) the journal at path.
func OpenJournal(path string) (*BoltJournal, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w (is another lime proxy using it?)", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucket); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(planBucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return &BoltJournal{db: db}, nil
}

// Close closes the file.
func (j *BoltJournal) Close() error { return j.db.Close() }

func key(device uint64) []byte { return binary.BigEndian.AppendUint64(nil, device) }

// Start records a new migration of device with its spec.
func (j *BoltJournal) Start(device uint64, spec any, st State) error {
	b, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("journal: spec: %w", err)
	}
	return j.put(Record{Device: device, Spec: b, State: st, Updated: time.Now()})
}

// Save records device's migration state (Journal).
func (j *BoltJournal) Save(device uint64, st State) error {
	return j.update(device, func(r *Record) error {
		r.State = st
		return nil
	})
}

// SaveCutOver records what device keeps from its source since its cut
// over (CutOverSaver).
func (j *BoltJournal) SaveCutOver(device uint64, v any) error {
	return j.update(device, func(r *Record) (err error) {
		if r.CutOver, err = json.Marshal(v); err != nil {
			return fmt.Errorf("journal: cut over state: %w", err)
		}
		return nil
	})
}

// SaveOffsets records the counts device keeps from a detached mirror
// (OffsetSaver).
func (j *BoltJournal) SaveOffsets(device uint64, v any) error {
	return j.update(device, func(r *Record) (err error) {
		if r.Offsets, err = json.Marshal(v); err != nil {
			return fmt.Errorf("journal: offsets: %w", err)
		}
		return nil
	})
}

// update changes device's record with f, in one transaction.
func (j *BoltJournal) update(device uint64, f func(*Record) error) error {
	return j.db.Update(func(tx *bolt.Tx) error { return updateIn(tx, device, f) })
}

func updateIn(tx *bolt.Tx, device uint64, f func(*Record) error) error {
	bk := tx.Bucket(bucket)
	b := bk.Get(key(device))
	if b == nil {
		return fmt.Errorf("journal: no migration of device %d was started", device)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("journal: device %d: %w", device, err)
	}
	if err := f(&r); err != nil {
		return err
	}
	r.Updated = time.Now()
	out, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return bk.Put(key(device), out)
}

func (j *BoltJournal) put(r Record) error {
	return j.db.Update(func(tx *bolt.Tx) error { return putIn(tx, r) })
}

// putIn writes r, replacing device's record but for the offsets a former
// migration left, which r keeps.
func putIn(tx *bolt.Tx, r Record) error {
	bk := tx.Bucket(bucket)
	if old := bk.Get(key(r.Device)); old != nil && r.Offsets == nil {
		var o Record
		if err := json.Unmarshal(old, &o); err == nil {
			r.Offsets = o.Offsets
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return bk.Put(key(r.Device), b)
}

// Get returns device's migration.
func (j *BoltJournal) Get(device uint64) (Record, bool, error) {
	var r Record
	var found bool
	err := j.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket).Get(key(device))
		if b == nil {
			return nil
		}
		found = true
		return json.Unmarshal(b, &r)
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("journal: device %d: %w", device, err)
	}
	return r, found, nil
}

// All returns every journalled migration, by device.
func (j *BoltJournal) All() ([]Record, error) {
	var out []Record
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return out, nil
}

// PlanRecord is the journalled network migration: package plan's Plan and
// State, opaque here. Its devices' migrations have records of their own,
// written in the same transactions.
type PlanRecord struct {
	Plan    json.RawMessage `json:"plan"`
	State   json.RawMessage `json:"state"`
	Started time.Time       `json:"started"`
	Updated time.Time       `json:"updated"`
}

// StartPlan records a new network migration (replacing the last one, which
// must have ended) with the migrations of its devices, in one transaction.
func (j *BoltJournal) StartPlan(plan, st any, devices []Record) error {
	pb, err := json.Marshal(plan)
	if err != nil {
		return fmt.Errorf("journal: plan: %w", err)
	}
	sb, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("journal: plan state: %w", err)
	}
	now := time.Now()
	rec, err := json.Marshal(PlanRecord{Plan: pb, State: sb, Started: now, Updated: now})
	if err != nil {
		return err
	}
	return j.db.Update(func(tx *bolt.Tx) error {
		for _, r := range devices {
			r.Updated = now
			if err := putIn(tx, r); err != nil {
				return err
			}
		}
		return tx.Bucket(planBucket).Put(planKey, rec)
	})
}

// SavePlan records the plan's state and its devices' (by device), in one
// transaction.
func (j *BoltJournal) SavePlan(st any, devices map[uint64]State) error {
	sb, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("journal: plan state: %w", err)
	}
	return j.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(planBucket)
		b := bk.Get(planKey)
		if b == nil {
			return errors.New("journal: no plan was started")
		}
		var r PlanRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("journal: plan: %w", err)
		}
		r.State, r.Updated = sb, time.Now()
		out, err := json.Marshal(r)
		if err != nil {
			return err
		}
		for dev, st := range devices {
			if err := updateIn(tx, dev, func(rec *Record) error { rec.State = st; return nil }); err != nil {
				return err
			}
		}
		return bk.Put(planKey, out)
	})
}

// Plan returns the journalled network migration, if any.
func (j *BoltJournal) Plan() (PlanRecord, bool, error) {
	var r PlanRecord
	var found bool
	err := j.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(planBucket).Get(planKey)
		if b == nil {
			return nil
		}
		found = true
		return json.Unmarshal(b, &r)
	})
	if err != nil {
		return PlanRecord{}, false, fmt.Errorf("journal: plan: %w", err)
	}
	return r, found, nil
}
