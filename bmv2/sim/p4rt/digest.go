package p4rt

import (
	"strings"
	"sync"
	"time"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/info"
)

// digestMgr batches digest messages into DigestList stream messages per
// each digest's DigestEntry configuration and keeps the cache of sent,
// unacknowledged messages (P4Runtime spec section "DigestEntry"). It has
// its own lock: the data plane calls it while packets are processed.
type digestMgr struct {
	dev *Device
	inf *info.Info

	mu      sync.Mutex
	configs map[uint32]*p4v1.DigestEntry
	bufs    map[uint32]*digestBuf
	// cache: digest id -> message key -> list id (sent, not acknowledged).
	cache map[uint32]map[string]uint64
	// lists: sent lists awaiting an ack, for ack_timeout_ns.
	lists    map[listKey]*sentList
	nextList map[uint32]uint64
}

type digestBuf struct {
	first time.Time
	keys  map[string]bool
	data  []*p4v1.P4Data
	order []string
}

type listKey struct {
	digest uint32
	list   uint64
}

type sentList struct {
	sent time.Time
	keys []string
}

func newDigestMgr(d *Device, inf *info.Info) *digestMgr {
	return &digestMgr{
		dev:      d,
		inf:      inf,
		configs:  map[uint32]*p4v1.DigestEntry{},
		bufs:     map[uint32]*digestBuf{},
		cache:    map[uint32]map[string]uint64{},
		lists:    map[listKey]*sentList{},
		nextList: map[uint32]uint64{},
	}
}

// writeDigest handles a DigestEntry update (PI's DigestMgr::config_write).
func (st *state) writeDigest(typ p4v1.Update_Type, e *p4v1.DigestEntry, j *journal) error {
	d := st.inf.Digest(e.GetDigestId())
	if d == nil {
		return errorf(ErrNotFound, "%d is not a valid digest id", e.GetDigestId())
	}
	what := "digest " + quote(d.Name)
	if c := e.GetConfig(); c.GetMaxTimeoutNs() < 0 || c.GetMaxListSize() < 0 || c.GetAckTimeoutNs() < 0 {
		return errorf(ErrInvalid, "%s: negative configuration value", what)
	}
	dm := st.digests
	dm.mu.Lock()
	old, configured := dm.configs[d.ID]
	dm.mu.Unlock()
	switch typ {
	case p4v1.Update_INSERT:
		if configured {
			return errorf(ErrAlreadyExists, "%s is already configured", what)
		}
	default:
		if !configured {
			return errorf(ErrNotFound, "%s is not configured", what)
		}
	}
	on := typ != p4v1.Update_DELETE
	if err := st.prog.EnableDigest(d, on); err != nil {
		return targetErr(err, "%s", what)
	}
	dm.mu.Lock()
	if on {
		dm.configs[d.ID] = &p4v1.DigestEntry{DigestId: d.ID, Config: proto.Clone(orEmpty(e.GetConfig())).(*p4v1.DigestEntry_Config)}
	} else {
		dm.reset(d.ID)
	}
	dm.mu.Unlock()
	j.add(func() {
		_ = st.prog.EnableDigest(d, configured)
		dm.mu.Lock()
		if configured {
			dm.configs[d.ID] = old
		} else {
			dm.reset(d.ID)
		}
		dm.mu.Unlock()
	})
	return nil
}

func orEmpty(c *p4v1.DigestEntry_Config) *p4v1.DigestEntry_Config {
	if c == nil {
		return &p4v1.DigestEntry_Config{}
	}
	return c
}

// reset forgets a digest's configuration, buffer and cache.
func (dm *digestMgr) reset(id uint32) {
	delete(dm.configs, id)
	delete(dm.bufs, id)
	delete(dm.cache, id)
	for k := range dm.lists {
		if k.digest == id {
			delete(dm.lists, k)
		}
	}
}

// config returns a digest's configuration, or nil.
func (dm *digestMgr) config(id uint32) *p4v1.DigestEntry {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	return dm.configs[id]
}

// learn takes one digest message from the data plane.
func (dm *digestMgr) learn(id uint32, values [][]byte, now time.Time) {
	d := dm.inf.Digest(id)
	if d == nil {
		return
	}
	data := digestData(d, values)
	var key strings.Builder
	for _, v := range values {
		c := canonCopy(v)
		key.WriteByte(byte(len(c)))
		key.Write(c)
	}
	k := key.String()
	dm.mu.Lock()
	cfg := dm.configs[id]
	if cfg == nil {
		dm.mu.Unlock()
		return
	}
	if _, cached := dm.cache[id][k]; cached {
		dm.mu.Unlock()
		return
	}
	b := dm.bufs[id]
	if b == nil {
		b = &digestBuf{first: now, keys: map[string]bool{}}
		dm.bufs[id] = b
	}
	if b.keys[k] {
		dm.mu.Unlock()
		return
	}
	b.keys[k] = true
	b.data = append(b.data, data)
	b.order = append(b.order, k)
	var out *p4v1.DigestList
	c := cfg.GetConfig()
	if c.GetMaxTimeoutNs() == 0 || (c.GetMaxListSize() > 0 && len(b.data) >= int(c.GetMaxListSize())) {
		out = dm.flush(id, now)
	}
	dm.mu.Unlock()
	if out != nil {
		dm.dev.arb.sendToPrimary(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Digest{Digest: out}}, true)
	}
}

// flush turns a digest's buffer into a DigestList; dm.mu is held.
func (dm *digestMgr) flush(id uint32, now time.Time) *p4v1.DigestList {
	b := dm.bufs[id]
	if b == nil || len(b.data) == 0 {
		return nil
	}
	delete(dm.bufs, id)
	dm.nextList[id]++
	list := dm.nextList[id]
	if dm.configs[id].GetConfig().GetAckTimeoutNs() > 0 {
		c := dm.cache[id]
		if c == nil {
			c = map[string]uint64{}
			dm.cache[id] = c
		}
		for _, k := range b.order {
			c[k] = list
		}
		dm.lists[listKey{id, list}] = &sentList{sent: now, keys: b.order}
	}
	return &p4v1.DigestList{DigestId: id, ListId: list, Data: b.data, Timestamp: now.UnixNano()}
}

// ack handles a DigestListAck: the list's messages leave the cache.
func (dm *digestMgr) ack(a *p4v1.DigestListAck) {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	dm.dropList(listKey{a.GetDigestId(), a.GetListId()})
}

func (dm *digestMgr) dropList(k listKey) {
	l := dm.lists[k]
	if l == nil {
		return
	}
	delete(dm.lists, k)
	c := dm.cache[k.digest]
	for _, key := range l.keys {
		if c[key] == k.list {
			delete(c, key)
		}
	}
}

// tick sends buffers older than max_timeout_ns and expires cache entries
// older than ack_timeout_ns.
func (dm *digestMgr) tick(now time.Time) {
	var out []*p4v1.DigestList
	dm.mu.Lock()
	for id, b := range dm.bufs {
		if now.Sub(b.first) >= time.Duration(dm.configs[id].GetConfig().GetMaxTimeoutNs()) {
			if l := dm.flush(id, now); l != nil {
				out = append(out, l)
			}
		}
	}
	for k, l := range dm.lists {
		if now.Sub(l.sent) >= time.Duration(dm.configs[k.digest].GetConfig().GetAckTimeoutNs()) {
			dm.dropList(k)
		}
	}
	dm.mu.Unlock()
	for _, l := range out {
		dm.dev.arb.sendToPrimary(&p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Digest{Digest: l}}, true)
	}
}

// digestData builds the P4Data of one digest message from its member
// values, per the digest's type_spec.
func digestData(d *info.Digest, values [][]byte) *p4v1.P4Data {
	ts := d.Proto.GetTypeSpec()
	bits := func(v []byte) *p4v1.P4Data {
		return &p4v1.P4Data{Data: &p4v1.P4Data_Bitstring{Bitstring: canonCopy(v)}}
	}
	switch ts.GetTypeSpec().(type) {
	case *p4configv1.P4DataTypeSpec_Struct:
		s := &p4v1.P4StructLike{}
		for _, v := range values {
			s.Members = append(s.Members, bits(v))
		}
		return &p4v1.P4Data{Data: &p4v1.P4Data_Struct{Struct: s}}
	case *p4configv1.P4DataTypeSpec_Tuple:
		s := &p4v1.P4StructLike{}
		for _, v := range values {
			s.Members = append(s.Members, bits(v))
		}
		return &p4v1.P4Data{Data: &p4v1.P4Data_Tuple{Tuple: s}}
	}
	if len(values) == 1 {
		return bits(values[0])
	}
	s := &p4v1.P4StructLike{}
	for _, v := range values {
		s.Members = append(s.Members, bits(v))
	}
	return &p4v1.P4Data{Data: &p4v1.P4Data_Struct{Struct: s}}
}
