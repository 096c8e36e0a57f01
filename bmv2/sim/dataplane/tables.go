package dataplane

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
)

// binding is what an entry or a default entry runs: an action with its
// data, or an action profile member or group.
type binding struct {
	kind ActionKind
	act  *actionC
	ad   *actionData
	id   uint32
}

// entryState is an installed table entry.
type entryState struct {
	spec  Entry  // canonical form, returned by reads
	id    string // identity: match and priority
	value []byte // key value, masked
	mask  []byte // key mask (nil for exact tables)
	lo    []byte // range tables: per-byte low and high bounds
	hi    []byte
	rank  int64 // priority, or prefix length for pure LPM tables
	seq   uint64
	bind  binding

	ctr     counterCell
	meter   *meterCell
	lastHit atomic.Int64 // microseconds since the switch started
}

// maskGroup holds the entries of a masked table that share one mask.
type maskGroup struct {
	mask    []byte
	m       map[string][]*entryState // sorted best first
	ranks   map[int64]int            // entries per rank
	maxRank int64
	n       int
}

// tableState is the runtime state of a table.
type tableState struct {
	mu     sync.RWMutex
	t      *tableC
	byID   map[string]*entryState
	exact  map[string]*entryState
	groups map[string]*maskGroup
	order  []*maskGroup
	ranges []*entryState
	def    *binding
	seq    uint64
}

func newTableState(t *tableC) *tableState {
	ts := &tableState{t: t, byID: map[string]*entryState{}, def: t.defaultBind}
	switch t.kind {
	case tkExact:
		ts.exact = map[string]*entryState{}
	case tkMasked:
		ts.groups = map[string]*maskGroup{}
	}
	return ts
}

// better reports whether a wins over b (nil b loses): higher rank, then
// earlier insertion.
func better(a, b *entryState) bool {
	return b == nil || a.rank > b.rank || (a.rank == b.rank && a.seq < b.seq)
}

// lookup finds the entry matching key (read lock held).
func (ts *tableState) lookup(p *pkt, key []byte) *entryState {
	switch ts.t.kind {
	case tkExact:
		return ts.exact[string(key)]
	case tkMasked:
		var best *entryState
		for _, g := range ts.order {
			if best != nil && g.maxRank < best.rank {
				break
			}
			mk := p.mkey[:0]
			for i, b := range key {
				mk = append(mk, b&g.mask[i])
			}
			p.mkey = mk
			if l := g.m[string(mk)]; len(l) > 0 && better(l[0], best) {
				best = l[0]
			}
		}
		return best
	default:
		for _, e := range ts.ranges {
			if e.matches(ts.t, key) {
				return e
			}
		}
		return nil
	}
}

// matches tests a key against an entry of a range table.
func (e *entryState) matches(t *tableC, key []byte) bool {
	for i := range t.keys {
		k := &t.keys[i]
		seg := key[k.off : k.off+k.nb]
		if k.match == MatchRange {
			if bytes.Compare(seg, e.lo[k.off:k.off+k.nb]) < 0 || bytes.Compare(seg, e.hi[k.off:k.off+k.nb]) > 0 {
				return false
			}
			continue
		}
		for j := k.off; j < k.off+k.nb; j++ {
			if key[j]&e.mask[j] != e.value[j] {
				return false
			}
		}
	}
	return true
}

// insertSorted inserts e into the best-first list l.
func insertSorted(l []*entryState, e *entryState) []*entryState {
	i := sort.Search(len(l), func(i int) bool { return better(e, l[i]) })
	l = append(l, nil)
	copy(l[i+1:], l[i:])
	l[i] = e
	return l
}

// removeFrom deletes e from l.
func removeFrom(l []*entryState, e *entryState) []*entryState {
	for i, x := range l {
		if x == e {
			return append(l[:i:i], l[i+1:]...)
		}
	}
	return l
}

// groupBefore orders mask groups: highest rank first, then by mask.
func groupBefore(a, b *maskGroup) bool {
	if a.maxRank != b.maxRank {
		return a.maxRank > b.maxRank
	}
	return bytes.Compare(a.mask, b.mask) < 0
}

func (ts *tableState) unorder(g *maskGroup) {
	for i, x := range ts.order {
		if x == g {
			ts.order = append(ts.order[:i:i], ts.order[i+1:]...)
			return
		}
	}
}

func (ts *tableState) reorder(g *maskGroup) {
	i := sort.Search(len(ts.order), func(i int) bool { return groupBefore(g, ts.order[i]) })
	ts.order = append(ts.order, nil)
	copy(ts.order[i+1:], ts.order[i:])
	ts.order[i] = g
}

// insert adds e (write lock held); the caller checked for duplicates.
func (ts *tableState) insert(e *entryState) {
	ts.seq++
	e.seq = ts.seq
	ts.byID[e.id] = e
	switch ts.t.kind {
	case tkExact:
		ts.exact[string(e.value)] = e
	case tkMasked:
		g, ok := ts.groups[string(e.mask)]
		if !ok {
			g = &maskGroup{mask: e.mask, m: map[string][]*entryState{}, ranks: map[int64]int{}, maxRank: e.rank}
			ts.groups[string(e.mask)] = g
			ts.reorder(g)
		}
		g.m[string(e.value)] = insertSorted(g.m[string(e.value)], e)
		g.ranks[e.rank]++
		g.n++
		if e.rank > g.maxRank {
			ts.unorder(g)
			g.maxRank = e.rank
			ts.reorder(g)
		}
	default:
		ts.ranges = insertSorted(ts.ranges, e)
	}
}

// remove deletes e (write lock held).
func (ts *tableState) remove(e *entryState) {
	delete(ts.byID, e.id)
	switch ts.t.kind {
	case tkExact:
		delete(ts.exact, string(e.value))
	case tkMasked:
		g := ts.groups[string(e.mask)]
		if l := removeFrom(g.m[string(e.value)], e); len(l) == 0 {
			delete(g.m, string(e.value))
		} else {
			g.m[string(e.value)] = l
		}
		g.n--
		if g.ranks[e.rank]--; g.ranks[e.rank] == 0 {
			delete(g.ranks, e.rank)
		}
		if g.n == 0 {
			delete(ts.groups, string(e.mask))
			ts.unorder(g)
			return
		}
		if _, still := g.ranks[g.maxRank]; !still {
			ts.unorder(g)
			first := true
			for r := range g.ranks {
				if first || r > g.maxRank {
					g.maxRank, first = r, false
				}
			}
			ts.reorder(g)
		}
	default:
		ts.ranges = removeFrom(ts.ranges, e)
	}
}

// buildKey assembles the lookup key of table t for packet p.
func (t *tableC) buildKey(p *pkt) []byte {
	key := p.key[:0]
	l := p.l
	for i := range t.keys {
		k := &t.keys[i]
		if k.field >= 0 {
			key = p.h.fieldBytes(l, k.field, key)
		} else if p.h.valid[k.hdr] {
			key = append(key, 1)
		} else {
			key = append(key, 0)
		}
		if k.mask != nil {
			for j := 0; j < k.nb; j++ {
				key[k.off+j] &= k.mask[j]
			}
		}
	}
	p.key = key
	return key
}

// apply looks the packet up, updates direct resources on a hit, runs the
// action and returns the next node (bmv2 MatchTableAbstract::apply_action).
func (t *tableC) apply(p *pkt) *nodeC {
	ts := p.st.tables[t.index]
	var e *entryState
	var b binding
	ts.mu.RLock()
	if len(t.keys) > 0 {
		e = ts.lookup(p, t.buildKey(p))
	}
	hasDefault := ts.def != nil
	var cookie uint64
	if e != nil {
		b = e.bind
		cookie = e.spec.Cookie
		e.ctr.add(uint64(p.ingressLen))
		e.lastHit.Store(p.now)
	} else if hasDefault {
		b = *ts.def
	}
	ts.mu.RUnlock()
	hit := e != nil
	if hit && t.info.SupportTimeout && p.st.opts.OnHit != nil {
		p.st.opts.OnHit(t.info, cookie)
	}
	if hit && t.meter >= 0 && e.meter != nil {
		color := e.meter.execute(p, p.st.meters[t.meter].unit)
		p.h.setU(p.l, t.meterTarget, uint64(color))
	}
	if !hit && !hasDefault {
		return t.noDefaultNext
	}
	act, ad := b.act, b.ad
	if b.kind != KindAction {
		act, ad = p.st.aps[t.ap].resolve(p, b)
		if act == nil {
			// An empty group: bmv2 runs no action.
			if hit {
				if t.hitMiss {
					return t.hitNext
				}
				return t.noDefaultNext
			}
			return t.noDefaultNext
		}
	}
	act.run(p, ad)
	return t.nextFor(act, hit)
}

// prefixMask returns the key-segment mask of an LPM prefix over a field
// of width bits stored in nb bytes (the value is right-aligned).
func prefixMask(width, nb, plen int) []byte {
	m := make([]byte, nb)
	pad := nb*8 - width
	for i := 0; i < plen; i++ {
		bit := pad + i
		m[bit>>3] |= 0x80 >> uint(bit&7)
	}
	return m
}

// widthMask returns the all-ones mask of a width-bit field in nb bytes.
func widthMask(width, nb int) []byte {
	return prefixMask(width, nb, width)
}

// canon validates an entry against the table and builds its state.
func (t *tableC) canon(e *Entry) (*entryState, error) {
	info := t.info
	if len(e.Match) != len(t.keys) {
		return nil, fmt.Errorf("%w: table %q has %d key fields, the entry %d", ErrInvalid, info.Name, len(t.keys), len(e.Match))
	}
	if info.NeedsPriority {
		if e.Priority <= 0 {
			return nil, fmt.Errorf("%w: table %q needs a priority > 0, got %d", ErrInvalid, info.Name, e.Priority)
		}
	} else if e.Priority != 0 {
		return nil, fmt.Errorf("%w: table %q takes no priority (its key has no ternary or range field), got %d", ErrInvalid, info.Name, e.Priority)
	}
	es := &entryState{
		value: make([]byte, t.keyLen),
		mask:  make([]byte, t.keyLen),
		rank:  int64(e.Priority),
	}
	if t.kind == tkRange {
		es.lo = make([]byte, t.keyLen)
		es.hi = make([]byte, t.keyLen)
	}
	spec := Entry{Priority: e.Priority, Match: make([]FieldMatch, len(t.keys))}
	id := make([]byte, 0, 2*t.keyLen+8)
	for i := range t.keys {
		k := &t.keys[i]
		m := &e.Match[i]
		kf := &info.Keys[i]
		fit := func(what string, v []byte) ([]byte, error) {
			b, ok := fitBytes(v, k.width)
			if !ok {
				return nil, fmt.Errorf("%w: table %q key %q: %s %x does not fit %d bits", ErrInvalid, info.Name, kf.Name, what, v, k.width)
			}
			return b, nil
		}
		var val, msk []byte
		var out FieldMatch
		switch k.match {
		case MatchExact, MatchValid:
			if m.Wildcard {
				return nil, fmt.Errorf("%w: table %q key %q is %s and cannot be a wildcard", ErrInvalid, info.Name, kf.Name, k.match)
			}
			v, err := fit("value", m.Value)
			if err != nil {
				return nil, err
			}
			val, msk = v, widthMask(k.width, k.nb)
			out = FieldMatch{Value: v}
		case MatchLPM:
			plen := m.PrefixLen
			if m.Wildcard {
				plen = 0
			}
			if plen < 0 || plen > k.width {
				return nil, fmt.Errorf("%w: table %q key %q: prefix length %d outside 0..%d", ErrInvalid, info.Name, kf.Name, plen, k.width)
			}
			v := make([]byte, k.nb)
			if !m.Wildcard {
				var err error
				if v, err = fit("value", m.Value); err != nil {
					return nil, err
				}
			}
			msk = prefixMask(k.width, k.nb, plen)
			for j := range v {
				if v[j]&^msk[j] != 0 {
					return nil, fmt.Errorf("%w: table %q key %q: value %x has bits set beyond the /%d prefix", ErrInvalid, info.Name, kf.Name, m.Value, plen)
				}
			}
			val = v
			if plen == 0 {
				out = Wildcard()
			} else {
				out = FieldMatch{Value: v, PrefixLen: plen}
			}
			if t.lpmOnly {
				es.rank = int64(plen)
			}
		case MatchTernary:
			v := make([]byte, k.nb)
			msk = make([]byte, k.nb)
			if !m.Wildcard {
				var err error
				if v, err = fit("value", m.Value); err != nil {
					return nil, err
				}
				if m.Mask == nil {
					msk = widthMask(k.width, k.nb)
				} else if msk, err = fit("mask", m.Mask); err != nil {
					return nil, err
				}
				for j := range v {
					if v[j]&^msk[j] != 0 {
						return nil, fmt.Errorf("%w: table %q key %q: value %x has bits set outside mask %x", ErrInvalid, info.Name, kf.Name, m.Value, m.Mask)
					}
				}
			}
			val = v
			if canonicalLen(msk) == 0 {
				out = Wildcard()
			} else {
				out = FieldMatch{Value: v, Mask: msk}
			}
		case MatchRange:
			lo, hi := make([]byte, k.nb), widthMask(k.width, k.nb)
			if !m.Wildcard {
				var err error
				if lo, err = fit("low bound", m.Value); err != nil {
					return nil, err
				}
				if hi, err = fit("high bound", m.High); err != nil {
					return nil, err
				}
				if bytes.Compare(lo, hi) > 0 {
					return nil, fmt.Errorf("%w: table %q key %q: range low %x above high %x", ErrInvalid, info.Name, kf.Name, m.Value, m.High)
				}
			}
			copy(es.lo[k.off:], lo)
			copy(es.hi[k.off:], hi)
			val, msk = make([]byte, k.nb), make([]byte, k.nb)
			if canonicalLen(lo) == 0 && bytes.Equal(hi, widthMask(k.width, k.nb)) {
				out = Wildcard()
			} else {
				out = Range(lo, hi)
			}
			id = append(id, lo...)
			id = append(id, hi...)
		}
		copy(es.value[k.off:], val)
		copy(es.mask[k.off:], msk)
		id = append(id, val...)
		id = append(id, msk...)
		spec.Match[i] = out
	}
	if t.kind == tkExact {
		es.mask = nil
	}
	if info.NeedsPriority {
		id = binary.BigEndian.AppendUint32(id, uint32(e.Priority))
	}
	es.id = string(id)
	es.spec = spec
	return es, nil
}
